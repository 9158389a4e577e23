// Scorecards: how far each service has got on a scorecard's levels (e.g.
// bronze, silver, gold) on the chosen day, for the organisation or one
// team: levels by team, a leaderboard, the rules that fail most, the
// levels and each rule's passing share over the year before, and the
// services that rose or fell in the 30 days before. Also the service
// page's Scorecards card.

import { gql } from "../api.js";
import { h, fill, load, section, empty, badge, number } from "../dom.js";
import { addDays, seconds } from "../dates.js";
import { href, entityHref, go } from "../router.js";
import { timeChart, PALETTE } from "../charts.js";
import { dataTable } from "../table.js";
import { teamKey, teamName, teamOption, teamChoices, percent } from "./delivery.js";

/** Days of trend up to the day shown, and of changes before it. */
const TREND_DAYS = 365;
const CHANGE_DAYS = 30;

const SCORECARDS = `query Scorecards { scorecards { name description levels rules { id level explanation } } }`;

const SCORES = `query Scores($scorecard: String!, $team: String, $at: Date) {
  scores(scorecard: $scorecard, team: $team, at: $at) { service key team level nextLevel passed total }
}`;

const TREND = `query ScoreTrend($scorecard: String!, $team: String, $from: Date!, $to: Date) {
  scoreTrend(scorecard: $scorecard, team: $team, from: $from, to: $to, bucket: WEEK) {
    bucket measuredOn services levels { level services } rules { rule level passing failing share }
  }
}`;

const CHANGES = `query ScoreChanges($scorecard: String!, $team: String, $from: Date!, $to: Date) {
  scoreChanges(scorecard: $scorecard, team: $team, from: $from, to: $to) {
    service key team fromLevel toLevel direction rules { rule level passedBefore passedAfter explanation }
  }
}`;

const SERVICE_SCORES = `query ServiceScores($name: String!, $at: Date) {
  service(name: $name, at: $at) {
    scores(at: $at) { scorecard level nextLevel passed total rules { rule level passed explanation failingSince carriedForward } }
  }
}`;

/** A scorecard's page, of a team (`team:<name>`) or, without, of the organisation. */
export const scorecardHref = (name, team) => href(`/scorecards/${encodeURIComponent(name)}`, { team });

export async function render(view, { day, latest, segments, params, stale }) {
  const team = teamKey(params.get("team"));
  // The scorecards API takes a team's name, the address its key (as the delivery page's).
  const name = team ? teamName(team) : null;
  const heading = (scorecard) => h("h1", {}, "Scorecards", scorecard ? `: ${scorecard}` : "", team ? ` of ${name}` : "");
  fill(view, heading(segments[0]), h("p", { class: "loading", role: "status" }, "Loading the scorecards…"));
  const { scorecards } = await gql(SCORECARDS);
  if (stale()) return;
  if (!scorecards.length) {
    fill(view, heading(), empty("The server loaded no scorecard: see [scorecards] paths in its configuration."));
    return;
  }
  const card = segments[0] ? scorecards.find((s) => s.name === segments[0]) : scorecards[0];
  if (!card) {
    const others = scorecards.map((s, i) => [i ? ", " : "", h("a", { href: scorecardHref(s.name, team) }, s.name)]);
    fill(view, heading(segments[0]), h("p", { class: "empty" }, `There is no scorecard '${segments[0]}'. The scorecards: `, others, "."));
    return;
  }
  const levels = h("div");
  const leaderboard = h("div");
  const rules = h("div");
  const trends = h("div");
  const changes = h("div");
  const from = addDays(day, -CHANGE_DAYS);
  const teamSelect = h("select", { id: "scorecards-team" }, teamOption(null, null, !team), team ? teamOption(team, team, true) : null);
  fill(
    view,
    heading(card.name),
    h(
      "p",
      { class: "subtitle" },
      "The services of ",
      team ? h("a", { href: entityHref(team) }, team) : "the organisation",
      ` on ${day}${day === latest ? " (the latest day)" : ""}. ${card.description} `,
      `Levels ${card.levels.join(" → ")}; ${plural(card.rules.length, "rule")}.`,
    ),
    pickerForm(scorecards, card, teamSelect),
    h(
      "div",
      { class: "grid" },
      h("div", { class: "wide" }, section("Levels by team", "scorecard-teams", levels)),
      h("div", { class: "wide" }, section("Leaderboard", "scorecard-leaderboard", leaderboard)),
      h("div", { class: "wide" }, section("Rules most failed", "scorecard-rules", rules)),
      h("div", { class: "wide" }, section("Over the year before, per week", "scorecard-trends", trends)),
      h("div", { class: "wide" }, section(`What changed since ${from}`, "scorecard-changes", changes)),
    ),
  );
  const subject = team ? team.replace(":", "-") : "organisation";
  const files = (what) => `scorecard-${card.name}-${subject}-${what}-${day}.csv`;
  // Each query feeds two parts; each part still shows its own loading line and error.
  const scores = gql(SCORES, { scorecard: card.name, team: name, at: day }).then((d) => d.scores);
  const points = gql(TREND, { scorecard: card.name, team: name, from: addDays(day, -(TREND_DAYS - 1)), to: day }).then((d) => d.scoreTrend);
  await Promise.all([
    teamChoices(teamSelect, team, day),
    load(levels, "the levels by team", async () => levelsByTeam(await scores, card, day, files)),
    load(leaderboard, "the leaderboard", async () => leaderboardOf(await scores, card, day, files)),
    load(rules, "the rules most failed", async () => rulesOf(await points, card, files)),
    load(trends, "the trends", async () => trendsOf(await points, card, files)),
    load(changes, "what changed", async () => changesOf((await gql(CHANGES, { scorecard: card.name, team: name, from, to: day })).scoreChanges, card, from, day, files)),
  ]);
}

function pickerForm(scorecards, card, teamSelect) {
  const picker = h("select", { id: "scorecard-picker" }, scorecards.map((s) => h("option", { value: s.name, selected: s === card }, s.name)));
  const submit = (event) => {
    event.preventDefault();
    go(scorecardHref(picker.value, teamSelect.value || null));
  };
  return h(
    "form",
    { class: "controls", onsubmit: submit, "aria-label": "Scorecard" },
    h("label", { for: "scorecard-picker" }, "Scorecard", picker),
    h("label", { for: "scorecards-team" }, "Of", teamSelect),
    h("button", { type: "submit" }, "Show"),
  );
}

const plural = (count, noun) => `${number(count)} ${noun}${count === 1 ? "" : "s"}`;

/** A level as a badge (none: red; the top level: green), with its name in `data-level`. */
export function levelBadge(level, top) {
  const shown = badge(level ?? "none", level == null ? "bad" : top ? "ok" : "warn");
  shown.dataset.level = level ?? "none";
  return shown;
}

const LEVEL_COLORS = { none: "#b3261e", bronze: "#a0642b", silver: "#8a96a3", gold: "#d4a017", platinum: "#00798c" };
const levelColor = (level, i) => LEVEL_COLORS[level ?? "none"] || PALETTE[i % PALETTE.length];

/** Text that wraps, in a table whose cells do not. */
const prose = (text) => h("span", { class: "prose" }, text);

const teamLink = (team) => (team ? h("a", { href: entityHref(`team:${team}`) }, team) : "—");

// --- Levels by team and the leaderboard --------------------------------------

function levelsByTeam(scores, card, day, files) {
  if (!scores.length) return empty(`No service was scored on ${day}.`);
  const levels = [null, ...card.levels];
  const teams = new Map();
  for (const s of scores) {
    const row = teams.get(s.team ?? null) || { team: s.team ?? null, services: 0, counts: new Map() };
    row.services += 1;
    row.counts.set(s.level ?? null, (row.counts.get(s.level ?? null) || 0) + 1);
    teams.set(row.team, row);
  }
  const rows = [...teams.values()].sort((a, b) => (a.team === null) - (b.team === null) || (a.team || "").localeCompare(b.team || ""));
  const count = (level) => scores.filter((s) => (s.level ?? null) === level).length;
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "figures", "aria-label": `Services per level on ${day}` },
      levels.map((level) =>
        h("div", { class: "figure", "data-level": level ?? "none" }, h("dt", {}, level ?? "no level"), h("dd", {}, number(count(level)), h("p", { class: "note" }, percent(count(level) / scores.length)))),
      ),
    ),
    dataTable(
      [
        {
          label: "Team",
          value: (r) => r.team ?? "",
          render: (r) =>
            r.team
              ? [h("a", { href: scorecardHref(card.name, `team:${r.team}`), "data-team-filter": r.team, title: `Only ${r.team}'s services` }, r.team), " ", h("a", { href: entityHref(`team:${r.team}`), class: "muted" }, "(team)")]
              : h("span", { class: "muted" }, "no team owns them"),
        },
        { label: "Services", value: (r) => r.services, numeric: true },
        ...levels.map((level) => ({ label: level ?? "none", value: (r) => r.counts.get(level) || 0, numeric: true })),
      ],
      rows,
      { caption: "Services at each level, per owning team", csvName: files("levels-by-team") },
    ),
  );
}

function leaderboardOf(scores, card, day, files) {
  if (!scores.length) return empty(`No service was scored on ${day}.`);
  // Best first (the API's order); services at the same level passing as many rules share a rank.
  let rank = 0;
  const rows = scores.map((s, i) => {
    const previous = scores[i - 1];
    if (!previous || previous.level !== s.level || previous.passed !== s.passed) rank = i + 1;
    return { ...s, rank };
  });
  return dataTable(
    [
      { label: "Rank", value: (s) => s.rank, numeric: true },
      { label: "Service", value: (s) => s.service, render: (s) => h("a", { href: entityHref(s.key), "data-service": s.key }, s.service) },
      { label: "Team", value: (s) => s.team, render: (s) => teamLink(s.team) },
      { label: "Level", value: (s) => s.level ?? "none", render: (s) => levelBadge(s.level, s.level != null && s.nextLevel == null) },
      { label: "Passed", value: (s) => s.passed, numeric: true },
      { label: "Total", value: (s) => s.total, numeric: true },
      { label: "Next level", value: (s) => s.nextLevel },
    ],
    rows,
    { caption: `Services best first: the highest level, then the most rules passed (${card.name} on ${day})`, csvName: files("leaderboard") },
  );
}

// --- Rules most failed and the trends ----------------------------------------

function rulesOf(points, card, files) {
  const last = points.at(-1);
  if (!last || !last.services) return empty("No service was scored on the day.");
  const explanation = new Map(card.rules.map((r) => [r.id, r.explanation]));
  // Stable: rules failing as often keep the scorecard's order.
  const rows = [...last.rules].sort((a, b) => b.failing - a.failing);
  return dataTable(
    [
      { label: "Rule", value: (r) => r.rule, render: (r) => h("span", { "data-rule": r.rule, "data-failing": r.failing }, r.rule) },
      { label: "Level", value: (r) => r.level },
      { label: "Failing", value: (r) => r.failing, render: (r) => (r.failing ? badge(number(r.failing), "bad") : "0"), numeric: true },
      { label: "Passing", value: (r) => r.passing, numeric: true },
      { label: "Passing share", value: (r) => r.share, render: (r) => percent(r.share), numeric: true },
      { label: "What it checks", value: (r) => explanation.get(r.rule), render: (r) => prose(explanation.get(r.rule) ?? "—") },
    ],
    rows,
    { caption: `Every rule, the most failed first, on ${last.measuredOn} (${plural(last.services, "service")})`, csvName: files("rules") },
  );
}

function trendsOf(allPoints, card, files) {
  // Weeks before any service was scored are no news: the trend starts at the first.
  const first = allPoints.findIndex((p) => p.services > 0);
  if (first < 0) return empty(`No service was scored in the ${TREND_DAYS} days to the day.`);
  const points = allPoints.slice(first);
  const x = points.map((p) => seconds(p.measuredOn));
  const levels = [null, ...card.levels];
  const count = (p, level) => p.levels.find((l) => (l.level ?? null) === level)?.services ?? 0;
  const share = (p, id) => p.rules.find((r) => r.rule === id)?.share ?? null;
  const percentOf = (value) => (value == null ? null : 100 * value);
  return h(
    "div",
    { class: "grid" },
    timeChart({ title: "Services per level", x, series: levels.map((level, i) => ({ label: level ?? "none", values: points.map((p) => count(p, level)), color: levelColor(level, i) })) }),
    card.levels.map((level) => {
      const rules = card.rules.filter((r) => r.level === level);
      if (!rules.length) return null;
      const series = rules.map((r) => ({ label: r.id, values: points.map((p) => percentOf(share(p, r.id))), color: PALETTE[card.rules.indexOf(r) % PALETTE.length] }));
      return timeChart({ title: `Passing share of the ${level} rules (%)`, x, series, yRange: [0, 100] });
    }),
    h(
      "div",
      { class: "wide" },
      dataTable(
        [
          { label: "Week", value: (p) => p.bucket },
          { label: "Measured on", value: (p) => p.measuredOn },
          { label: "Services", value: (p) => p.services, numeric: true },
          ...levels.map((level) => ({ label: level ?? "none", value: (p) => count(p, level), numeric: true })),
          ...card.rules.map((r) => ({ label: `${r.id} passing share`, value: (p) => share(p, r.id), render: (p) => percent(share(p, r.id)), numeric: true })),
        ],
        points,
        { caption: "The charts' numbers: each week as of its last day (passing shares from 0 to 1 in the CSV)", csvName: files("trend") },
      ),
    ),
  );
}

// --- What changed ------------------------------------------------------------

function changesOf(changes, card, from, to, files) {
  if (!changes.length) return empty(`No service rose or fell between ${from} and ${to}.`);
  const top = (level) => level != null && level === card.levels.at(-1);
  const rose = changes.filter((c) => c.direction === "ROSE").length;
  const rows = [...changes].sort((a, b) => (a.direction === "FELL" ? 0 : 1) - (b.direction === "FELL" ? 0 : 1) || a.service.localeCompare(b.service));
  const outcome = (passed) => (passed ? "passes" : "fails");
  return h(
    "div",
    {},
    h("p", {}, badge(`${number(rose)} rose`, "ok"), " ", badge(`${number(changes.length - rose)} fell`, changes.length - rose ? "bad" : "ok"), h("span", { class: "muted" }, ` between ${from} and ${to}`)),
    dataTable(
      [
        { label: "Service", value: (c) => c.service, render: (c) => h("a", { href: entityHref(c.key), "data-service": c.key }, c.service) },
        { label: "Team", value: (c) => c.team, render: (c) => teamLink(c.team) },
        { label: "Direction", value: (c) => c.direction, render: (c) => h("span", { class: `badge ${c.direction === "ROSE" ? "ok" : "bad"}`, "data-direction": c.direction }, c.direction === "ROSE" ? "rose" : "fell") },
        { label: "From", value: (c) => c.fromLevel ?? "none", render: (c) => levelBadge(c.fromLevel, top(c.fromLevel)) },
        { label: "To", value: (c) => c.toLevel ?? "none", render: (c) => levelBadge(c.toLevel, top(c.toLevel)) },
        {
          label: "Rules that moved it",
          value: (c) => c.rules.map((m) => `${m.rule}: ${outcome(m.passedBefore)} -> ${outcome(m.passedAfter)}`).join("; "),
          render: (c) =>
            h(
              "ul",
              { class: "list score-rules" },
              c.rules.map((m) => h("li", { "data-rule": m.rule }, badge(m.passedAfter ? "now passes" : "now fails", m.passedAfter ? "ok" : "bad"), " ", h("strong", {}, m.rule), ` (${m.level}) `, prose(m.explanation))),
            ),
        },
      ],
      rows,
      { caption: `Services whose level rose or fell between ${from} and ${to}, those that fell first`, csvName: files("changes") },
    ),
  );
}

// --- The service page's card -------------------------------------------------

/**
 * The Scorecards card of a service's page: on each scorecard, the level it
 * reached, its failing rules (what each checked and saw, and since when),
 * and the sources whose last known values a rule read.
 */
export async function serviceScorecards(key, owner, day) {
  const data = await gql(SERVICE_SCORES, { name: key, at: day });
  const scores = data.service?.scores ?? [];
  if (!scores.length) return empty("The server loaded no scorecard: see [scorecards] paths in its configuration.");
  return h(
    "div",
    {},
    scores.map((score) => {
      const failing = score.rules.filter((r) => !r.passed);
      const passing = score.rules.filter((r) => r.passed);
      return h(
        "div",
        { class: "scorecard source", "data-scorecard": score.scorecard, "data-level": score.level ?? "none", "data-next-level": score.nextLevel },
        h("h3", {}, score.scorecard, " ", levelBadge(score.level, score.level != null && score.nextLevel == null), h("span", { class: "since" }, ` ${score.passed} of ${score.total} rules pass`)),
        h(
          "p",
          { class: "muted" },
          score.nextLevel ? `Next level: ${score.nextLevel}. ` : "The top level. ",
          owner ? [h("a", { href: scorecardHref(score.scorecard, owner.key) }, `Its team's ${score.scorecard}`), " · "] : null,
          h("a", { href: scorecardHref(score.scorecard, null) }, "the organisation's →"),
        ),
        failing.length ? h("ul", { class: "list score-rules" }, failing.map(ruleItem)) : h("p", {}, badge("every rule passes", "ok")),
        passing.length ? h("details", {}, h("summary", {}, plural(passing.length, "passing rule")), h("ul", { class: "list score-rules" }, passing.map(ruleItem))) : null,
      );
    }),
  );
}

function ruleItem(rule) {
  const since = rule.failingSince ? `failing since ${rule.failingSince}` : "failing since at least the earliest day on record";
  return h(
    "li",
    { class: rule.passed ? "passing-rule" : "failing-rule", "data-rule": rule.rule },
    badge(rule.level),
    " ",
    h("strong", {}, rule.rule),
    " ",
    rule.explanation,
    rule.passed ? null : [" ", h("span", { class: "failing-since" }, since)],
    rule.carriedForward.length
      ? h("p", { class: "notice carried-forward" }, `Carried forward: ${rule.carriedForward.join(", ")} failed to run that day, so this rule read the last known values.`)
      : null,
  );
}
