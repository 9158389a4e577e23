// The explorer's only way to data: GraphQL at /graphql. A server with
// tokens asks for one (kept for the browser session only).

const TOKEN_KEY = "spot-explorer-token";

export class ApiError extends Error {}

/** Runs a query and returns its data, or throws an ApiError that says what failed. */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`the SPoT server did not answer (${error.message}); is it still running?`);
  }
  if (response.status === 401 && askForToken()) {
    return gql(query, variables);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`the server answered HTTP ${response.status} without a GraphQL response`);
  }
  if (body.errors && body.errors.length) {
    const messages = [...new Set(body.errors.map((e) => e.message))];
    throw new ApiError(messages.join("; "));
  }
  if (!response.ok) {
    throw new ApiError(`the server answered HTTP ${response.status}`);
  }
  return body.data;
}

function headers() {
  const result = { "content-type": "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) result.authorization = `Bearer ${token}`;
  return result;
}

/** Asks once per failure for a read token; false when the user declines. */
function askForToken() {
  const token = window.prompt("This SPoT server needs a token with the read scope. Token:");
  if (!token) return false;
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return true;
}
