//! Projects bound to a monorepo (`monorepo: true` in their ALM binding)
//! each analyse one service of the repository, not all of it. Which one is
//! told by the project key, once the parts that name the organisation or
//! the repository are taken off (`acme_shop_cartservice` bound to
//! `acme/shop` → `cartservice`; `com.acme:cartservice` → `cartservice`),
//! else by the project name (`Cart Service` → `cart-service`).

// Lower-case letters, digits, `-`, `_` and `.`: the names Confluence pages
// may give services are the names project keys may.
use crate::confluence::map::is_service_name;

/// How a monorepo project was matched to its service: the `via` of its
/// `measures` relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Key,
    Name,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Key => "monorepo-key",
            Via::Name => "monorepo-name",
        }
    }
}

/// What separates the parts of a project key: SonarCloud's `_`, and what
/// people type instead.
const SEPARATORS: &[char] = &['_', '-', '.', ':', '/'];

/// The service a monorepo project analyses, and how that was told; `None`
/// when neither key nor name names one. `repository` is the bound
/// `owner/name`; `key_prefix` the configured one, taken off first.
pub fn service_of_project(key: &str, name: &str, repository: &str, key_prefix: Option<&str>) -> Option<(String, Via)> {
    let (owner, repo) = repository.split_once('/')?;
    let (owner, repo) = (owner.to_lowercase(), repo.to_lowercase());
    // Longest first: `acme_shop_cart` loses `acme_shop`, not just `acme`.
    let mut prefixes: Vec<String> =
        SEPARATORS.iter().map(|sep| format!("{owner}{sep}{repo}")).chain([repo.clone(), owner.clone()]).collect();
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let is_repository = |candidate: &str| prefixes.iter().any(|p| p == candidate);

    let by_key = service_of_key(key, key_prefix, &prefixes).filter(|n| !is_repository(n));
    if let Some(service) = by_key {
        return Some((service, Via::Key));
    }
    let by_name = name.split_whitespace().collect::<Vec<_>>().join("-").to_lowercase();
    (is_service_name(&by_name) && !is_repository(&by_name)).then_some((by_name, Via::Name))
}

/// The key without the configured prefix, a Maven group, or the owner and
/// repository it starts with; `None` when what is left is no service name.
fn service_of_key(key: &str, key_prefix: Option<&str>, prefixes: &[String]) -> Option<String> {
    let mut rest = key.trim().to_lowercase();
    if let Some(prefix) = key_prefix.map(str::to_lowercase).filter(|p| !p.is_empty()) {
        if let Some(stripped) = rest.strip_prefix(&prefix) {
            rest = stripped.to_string();
        }
    }
    if let Some((_, artifact)) = rest.rsplit_once(':') {
        rest = artifact.to_string();
    }
    // The first (longest) prefix that matches decides, even when nothing
    // follows it: `acme_shop_` names nothing, not `shop_`.
    let after = prefixes.iter().find_map(|prefix| rest.strip_prefix(prefix.as_str())?.strip_prefix(SEPARATORS));
    let service = after.map_or_else(|| rest.clone(), str::to_string);
    is_service_name(&service).then_some(service)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(key: &str, name: &str) -> Option<(String, Via)> {
        service_of_project(key, name, "acme/shop", None)
    }

    fn by(name: &str, via: Via) -> Option<(String, Via)> {
        Some((name.to_string(), via))
    }

    #[test]
    fn the_key_names_the_service_once_owner_and_repository_are_taken_off() {
        assert_eq!(service("acme_shop_cartservice", "x"), by("cartservice", Via::Key), "SonarCloud's default");
        assert_eq!(service("acme-shop-cart.v2", "x"), by("cart.v2", Via::Key));
        assert_eq!(service("shop:checkout", "x"), by("checkout", Via::Key));
        assert_eq!(service("acme_currency", "x"), by("currency", Via::Key), "the organisation alone");
        assert_eq!(service("Emailservice", "x"), by("emailservice", Via::Key), "a plain key, lower-cased");
    }

    #[test]
    fn maven_keys_name_their_artifact_and_the_prefix_comes_off_first() {
        assert_eq!(service("com.acme.shop:ad-service", "x"), by("ad-service", Via::Key));
        assert_eq!(
            service_of_project("sq-acme_shop_payments", "x", "acme/shop", Some("sq-")),
            by("payments", Via::Key)
        );
    }

    #[test]
    fn a_key_that_is_the_repository_leaves_it_to_the_name() {
        assert_eq!(service("acme_shop", "Cart Service"), by("cart-service", Via::Name));
        assert_eq!(service("shop", "  Frontend\tWeb "), by("frontend-web", Via::Name));
        assert_eq!(service("acme_shop_", "frontend"), by("frontend", Via::Name), "nothing after the separator");
    }

    #[test]
    fn neither_key_nor_name_naming_a_service_is_none() {
        assert_eq!(service("acme_shop", "Shop"), None, "named like the repository");
        assert_eq!(service("acme_shop", "Shop (all of it)"), None);
        assert_eq!(service("acme_shop", ""), None);
        assert_eq!(service_of_project("cart", "cart", "no-slash", None), None, "not an owner/name repository");
    }
}
