//! `[identity]`: what the organisation says for good about its services'
//! names, over every convention.
//!
//! ```toml
//! [identity]
//! # The service a folder builds is called this, whoever else claims the name.
//! pins = [
//!   { repo = "web-shop", path = "frontend", name = "shop-frontend" },
//!   { repo = "storefront", path = "frontend", name = "frontend" },
//! ]
//! # Other names of a service, as other sources spell it (Kubernetes
//! # labels, SonarQube keys, Consul names, Confluence labels).
//! aliases = { storefront-web = "frontend", cart = "cartservice" }
//! ```
//!
//! `repo` is a repository name (of any organisation the GitHub collector
//! observes, or `org/name` for one of them), `path` a folder in it (`""`
//! or `/` for the root).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::naming::normalise;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pins: Vec<Pin>,
    /// alias → service name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// `name` or `org/name`.
    pub repo: String,
    #[serde(default)]
    pub path: String,
    pub name: String,
}

impl Pin {
    /// The folder, without leading, trailing or doubled `/`.
    pub fn folder(&self) -> String {
        self.path.split('/').filter(|p| !p.is_empty() && *p != ".").collect::<Vec<_>>().join("/")
    }

    pub fn applies_to(&self, org: &str, repo: &str) -> bool {
        match self.repo.split_once('/') {
            Some((pin_org, pin_repo)) => pin_org.eq_ignore_ascii_case(org) && pin_repo.eq_ignore_ascii_case(repo),
            None => self.repo.eq_ignore_ascii_case(repo),
        }
    }
}

impl IdentityConfig {
    /// Every problem of the section, each naming the entry.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut pinned: BTreeMap<String, &Pin> = BTreeMap::new();
        for (i, pin) in self.pins.iter().enumerate() {
            let at = format!("identity.pins[{i}]");
            if pin.repo.trim().is_empty() {
                problems.push(format!("{at}: repo is empty"));
            }
            if pin.path.split('/').any(|p| p == "..") {
                problems.push(format!("{at}: path '{}' leaves the repository", pin.path));
            }
            match normalise(&pin.name) {
                Some(name) if name == pin.name => {
                    if let Some(other) = pinned.insert(name.clone(), pin) {
                        problems.push(format!(
                            "{at}: name '{name}' is already pinned to {}:{}; a name is pinned once",
                            other.repo,
                            other.folder()
                        ));
                    }
                }
                Some(name) => {
                    problems.push(format!("{at}: name '{}' is not a service name; did you mean '{name}'?", pin.name))
                }
                None => problems.push(format!("{at}: name '{}' is not a service name", pin.name)),
            }
        }
        for (alias, target) in &self.aliases {
            if normalise(alias).as_deref() != Some(alias.as_str()) {
                problems.push(format!("identity.aliases: '{alias}' is not a service name (lower case, digits, . _ -)"));
            }
            if normalise(target).as_deref() != Some(target.as_str()) {
                problems.push(format!("identity.aliases.{alias}: '{target}' is not a service name"));
            }
            if self.aliases.contains_key(target) {
                problems.push(format!("identity.aliases.{alias}: '{target}' is itself an alias; point to the service"));
            }
        }
        problems
    }

    /// The pins of one repository.
    pub fn pins_of<'a>(&'a self, org: &'a str, repo: &'a str) -> impl Iterator<Item = &'a Pin> + 'a {
        self.pins.iter().filter(move |p| p.applies_to(org, repo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_with_mistakes_names_each() {
        let config: IdentityConfig = toml::from_str(
            "pins = [{ repo = \"shop\", path = \"web\", name = \"Web Shop\" },\n\
             { repo = \"a\", name = \"x\" }, { repo = \"b\", path = \"../up\", name = \"x\" }]\n\
             aliases = { cart = \"carts\", carts = \"cartservice\" }",
        )
        .unwrap();
        assert_eq!(
            config.problems(),
            [
                "identity.pins[0]: name 'Web Shop' is not a service name; did you mean 'web-shop'?",
                "identity.pins[2]: path '../up' leaves the repository",
                "identity.pins[2]: name 'x' is already pinned to a:; a name is pinned once",
                "identity.aliases.cart: 'carts' is itself an alias; point to the service",
            ]
        );
    }

    #[test]
    fn a_pin_names_a_repository_with_or_without_its_organisation() {
        let pin = Pin { repo: "acme/shop".into(), path: "/web/".into(), name: "web".into() };
        assert!(pin.applies_to("acme", "shop") && !pin.applies_to("other", "shop"));
        assert_eq!(pin.folder(), "web");
        assert!(Pin { repo: "shop".into(), path: String::new(), name: "s".into() }.applies_to("any", "Shop"));
    }
}
