//! A generated microservices repository for `spot bench backfill`, shaped
//! like the public "online boutique" demo the target was set on (no
//! network here to clone it): a dozen services in Go, C#, Node.js, Python
//! and Java, each with its manifest, lockfile, Dockerfile and sources;
//! Kubernetes manifests, a kustomize base with overlays, a Helm chart; and
//! years of commits — mostly code, a quarter dependency bumps, releases that
//! move every image tag, a folder rename and a move from requirements.txt
//! to pyproject.toml.

use std::collections::BTreeMap;
use std::path::Path;

use git2::{IndexEntry, IndexTime, Repository, Signature, Time};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub commits: usize,
    pub years: u32,
    pub seed: u64,
    /// Packages in each Node.js service's lockfile.
    pub lockfile_packages: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Go,
    CSharp,
    Node,
    Python,
    Java,
}

const SERVICES: [(&str, Lang); 12] = [
    ("frontend", Lang::Go),
    ("cartservice", Lang::CSharp),
    ("productcatalogservice", Lang::Go),
    ("currencyservice", Lang::Node),
    ("paymentservice", Lang::Node),
    ("shippingservice", Lang::Go),
    ("emailservice", Lang::Python),
    ("checkoutservice", Lang::Go),
    ("recommendationservice", Lang::Python),
    ("adservice", Lang::Java),
    ("loadgenerator", Lang::Python),
    ("shoppingassistantservice", Lang::Python),
];

/// The repository's files, changed commit by commit.
struct Tree {
    files: BTreeMap<String, String>,
    /// Dependency versions per service: (name, patch level).
    deps: Vec<Vec<(String, u32)>>,
    folders: Vec<String>,
    pyproject: Vec<bool>,
    release: u32,
}

/// Writes the repository into `path` (which must not exist) and returns
/// the number of days with commits.
pub fn generate(path: &Path, shape: Shape) -> anyhow::Result<usize> {
    let repo = Repository::init(path)?;
    repo.remote("origin", "https://github.com/acme/boutique.git")?;
    let mut rng = ChaCha8Rng::seed_from_u64(shape.seed);
    let mut tree = Tree::new(&mut rng, shape.lockfile_packages);
    let start = chrono::NaiveDate::from_ymd_opt(2018, 6, 1).unwrap_or_default();
    let total_days = i64::from(shape.years) * 365;
    // ~26% of days see commits, ~3.9 commits each: 2,700 commits on ~700 days.
    let active_days = (shape.commits as f64 / 3.9).round().max(1.0) as i64;
    let mut days: Vec<i64> = (0..active_days).map(|_| rng.random_range(0..total_days)).collect();
    days.sort_unstable();
    days.dedup();
    let mut parent: Option<git2::Oid> = None;
    let mut index = repo.index()?;
    for commit in 0..shape.commits {
        let day = days[commit * days.len() / shape.commits];
        let changed = if commit == 0 { tree.files.clone() } else { tree.change(commit, &mut rng) };
        for (path, content) in &changed {
            match content.is_empty() && !tree.files.contains_key(path) {
                true => index.remove_path(Path::new(path))?,
                false => index.add_frombuffer(&entry(path), content.as_bytes())?,
            }
        }
        let tree_id = index.write_tree()?;
        let when = (start + chrono::Duration::days(day)).and_hms_opt(9, 0, 0).unwrap_or_default();
        let seconds = when.and_utc().timestamp() + (commit as i64 % 3600);
        let who = Signature::new("Dev", "dev@example.com", &Time::new(seconds, 0))?;
        let parents: Vec<git2::Commit> = parent.map(|p| repo.find_commit(p)).transpose()?.into_iter().collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        let id =
            repo.commit(Some("HEAD"), &who, &who, &format!("change {commit}"), &repo.find_tree(tree_id)?, &parents)?;
        parent = Some(id);
    }
    Ok(days.len())
}

fn entry(path: &str) -> IndexEntry {
    IndexEntry {
        ctime: IndexTime::new(0, 0),
        mtime: IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: 0,
        id: git2::Oid::zero(),
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

impl Tree {
    fn new(rng: &mut ChaCha8Rng, lockfile_packages: usize) -> Tree {
        let mut tree = Tree {
            files: BTreeMap::new(),
            deps: Vec::new(),
            folders: SERVICES.iter().map(|(name, _)| format!("src/{name}")).collect(),
            pyproject: vec![false; SERVICES.len()],
            release: 1,
        };
        for (i, (_, lang)) in SERVICES.iter().enumerate() {
            let count = if *lang == Lang::Node { lockfile_packages.max(20) } else { 40 };
            tree.deps.push((0..count).map(|d| (dependency_name(*lang, d), rng.random_range(0..5))).collect());
            tree.write_service(i);
            for n in 0..20 {
                let folder = tree.folders[i].clone();
                tree.files.insert(format!("{folder}/src/file_{n}.txt"), format!("source {n}\n"));
            }
        }
        tree.write_deploy();
        tree
    }

    /// One commit's change: the files it writes (empty content and gone
    /// from `files`: deleted).
    fn change(&mut self, commit: usize, rng: &mut ChaCha8Rng) -> BTreeMap<String, String> {
        let before = self.files.clone();
        let roll = rng.random_range(0..100);
        let service = rng.random_range(0..SERVICES.len());
        if commit == 1_200 {
            self.rename(6, "src/email");
        } else if commit == 1_800 {
            self.pyproject[8] = true;
            self.write_service(8);
        } else if roll < 25 {
            // Renovate-style: one dependency bumped, manifest and lockfile rewritten.
            let dep = rng.random_range(0..self.deps[service].len());
            self.deps[service][dep].1 += 1;
            self.write_service(service);
        } else if roll < 29 {
            self.release += 1;
            self.write_deploy();
        } else {
            let n = rng.random_range(0..20);
            let path = format!("{}/src/file_{n}.txt", self.folders[service]);
            self.files.insert(path, format!("source {n} at {commit}\n"));
        }
        let mut changed: BTreeMap<String, String> = BTreeMap::new();
        for (path, content) in &self.files {
            if before.get(path) != Some(content) {
                changed.insert(path.clone(), content.clone());
            }
        }
        for path in before.keys().filter(|p| !self.files.contains_key(*p)) {
            changed.insert(path.clone(), String::new());
        }
        changed
    }

    fn rename(&mut self, service: usize, to: &str) {
        let from = format!("{}/", self.folders[service]);
        let moved: Vec<String> = self.files.keys().filter(|p| p.starts_with(&from)).cloned().collect();
        for path in moved {
            if let Some(content) = self.files.remove(&path) {
                self.files.insert(format!("{to}/{}", &path[from.len()..]), content);
            }
        }
        self.folders[service] = to.to_string();
    }

    fn write_service(&mut self, i: usize) {
        let (name, lang) = SERVICES[i];
        let folder = self.folders[i].clone();
        let deps = &self.deps[i];
        let version = |patch: u32| format!("1.{}.{patch}", 2 + patch % 7);
        let mut put = |file: &str, content: String| {
            self.files.insert(format!("{folder}/{file}"), content);
        };
        put("Dockerfile", format!("FROM scratch\nCOPY . /{name}\n"));
        match lang {
            Lang::Go => {
                let require: Vec<String> = deps.iter().map(|(d, p)| format!("\t{d} v{}", version(*p))).collect();
                put(
                    "go.mod",
                    format!(
                        "module github.com/acme/boutique/{name}\n\ngo 1.22\n\nrequire (\n{}\n)\n",
                        require.join("\n")
                    ),
                );
            }
            Lang::CSharp => {
                let refs: Vec<String> = deps
                    .iter()
                    .map(|(d, p)| format!("    <PackageReference Include=\"{d}\" Version=\"{}\" />", version(*p)))
                    .collect();
                put(
                    &format!("{name}.csproj"),
                    format!(
                        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n{}\n  </ItemGroup>\n</Project>\n",
                        refs.join("\n")
                    ),
                );
            }
            Lang::Node => {
                let direct: Vec<String> =
                    deps.iter().take(20).map(|(d, p)| format!("\"{d}\": \"^{}\"", version(*p))).collect();
                put(
                    "package.json",
                    format!("{{\"name\": \"{name}\", \"private\": true, \"dependencies\": {{{}}}}}", direct.join(", ")),
                );
                let mut packages =
                    vec![format!("\"\": {{\"name\": \"{name}\", \"dependencies\": {{{}}}}}", direct.join(", "))];
                packages.extend(deps.iter().map(|(d, p)| {
                    format!("\"node_modules/{d}\": {{\"version\": \"{}\", \"resolved\": \"https://registry.npmjs.org/{d}/-/{d}-{}.tgz\"}}", version(*p), version(*p))
                }));
                put(
                    "package-lock.json",
                    format!(
                        "{{\"name\": \"{name}\", \"lockfileVersion\": 3, \"packages\": {{{}}}}}",
                        packages.join(",\n")
                    ),
                );
            }
            Lang::Python if self.pyproject[i] => {
                let list: Vec<String> = deps.iter().map(|(d, p)| format!("\"{d}=={}\"", version(*p))).collect();
                put(
                    "pyproject.toml",
                    format!(
                        "[project]\nname = \"{name}\"\nversion = \"1.0.0\"\ndependencies = [{}]\n",
                        list.join(", ")
                    ),
                );
                self.files.remove(&format!("{folder}/requirements.txt"));
            }
            Lang::Python => {
                let lines: Vec<String> = deps.iter().map(|(d, p)| format!("{d}=={}", version(*p))).collect();
                put("requirements.txt", lines.join("\n") + "\n");
            }
            Lang::Java => {
                let list: Vec<String> =
                    deps.iter().map(|(d, p)| format!("    implementation '{d}:{}'", version(*p))).collect();
                put("build.gradle", format!("plugins {{ id 'java' }}\n\ndependencies {{\n{}\n}}\n", list.join("\n")));
            }
        }
    }

    /// Kubernetes manifests, a kustomize base and overlays, a Helm chart:
    /// every image at the current release.
    fn write_deploy(&mut self) {
        let release = format!("v0.{}.0", self.release);
        for (name, _) in SERVICES {
            self.files.insert(
                format!("kubernetes-manifests/{name}.yaml"),
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: server\n          image: gcr.io/acme/{name}:{release}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports:\n    - port: 8080\n"
                ),
            );
        }
        let resources: Vec<String> =
            SERVICES.iter().map(|(n, _)| format!("  - ../../kubernetes-manifests/{n}.yaml")).collect();
        self.files
            .insert("kustomize/base/kustomization.yaml".into(), format!("resources:\n{}\n", resources.join("\n")));
        for env in ["staging", "production"] {
            let images: Vec<String> =
                SERVICES.iter().map(|(n, _)| format!("  - name: gcr.io/acme/{n}\n    newTag: {release}")).collect();
            self.files.insert(
                format!("kustomize/overlays/{env}/kustomization.yaml"),
                format!("resources:\n  - ../../base\nnamespace: {env}\nimages:\n{}\n", images.join("\n")),
            );
        }
        self.files
            .insert("helm-chart/Chart.yaml".into(), format!("apiVersion: v2\nname: boutique\nappVersion: {release}\n"));
        self.files.insert(
            "helm-chart/values.yaml".into(),
            format!("image:\n  repository: gcr.io/acme/frontend\n  tag: {release}\n"),
        );
    }
}

fn dependency_name(lang: Lang, d: usize) -> String {
    match lang {
        Lang::Go => format!("github.com/vendor{}/lib{d}", d % 7),
        Lang::CSharp => format!("Vendor.Library{d}"),
        Lang::Node => format!("npm-lib-{d}"),
        Lang::Python => format!("py-lib-{d}"),
        Lang::Java => format!("com.vendor{}:lib{d}", d % 5),
    }
}
