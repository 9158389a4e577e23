//! What a declared workload is for, read from where it is declared.
//!
//! Repositories keep more manifests than they deploy: kustomize test
//! overlays (`kustomize/tests/*`), end-to-end fixtures, examples, stale
//! copies in `extras/`. Their image tags say nothing of what the
//! organisation means to run, so they are labelled and never counted as a
//! service's declared version (docs/declared.md).

/// Why a repository declares a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Purpose {
    /// What the repository means to deploy.
    Deploy,
    /// A test overlay or fixture.
    Test,
    /// An example, a sample, a demo, a document, an extra.
    Example,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Deploy => "deploy",
            Purpose::Test => "test",
            Purpose::Example => "example",
        }
    }
}

/// Folders of tests: what they declare runs in a test, not in production.
const TEST_FOLDERS: [&str; 8] =
    ["test", "tests", "e2e", "integration-test", "integration-tests", "testing", "testdata", "fixtures"];

/// Folders of examples, samples, documents and extras: what they declare
/// shows how, or once did, and is not kept in step with the releases.
const EXAMPLE_FOLDERS: [&str; 12] =
    ["example", "examples", "sample", "samples", "demo", "demos", "extras", "extra", "hack", "docs", "doc", "contrib"];

/// The purpose of what `declared_in` (a file, a kustomization's folder or a
/// values file) declares, from its folders: the first test or example
/// folder on the way down decides, else it is meant to be deployed.
pub fn purpose_of(declared_in: &str) -> Purpose {
    let is_file = |segment: &str| segment.ends_with(".yaml") || segment.ends_with(".yml");
    let folders = declared_in.split('/').filter(|s| !s.is_empty() && *s != "." && !is_file(s));
    for folder in folders {
        let folder = folder.to_ascii_lowercase();
        if TEST_FOLDERS.contains(&folder.as_str()) {
            return Purpose::Test;
        }
        if EXAMPLE_FOLDERS.contains(&folder.as_str()) {
            return Purpose::Example;
        }
    }
    Purpose::Deploy
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kustomize_test_overlays_and_e2e_fixtures_are_tests() {
        assert_eq!(purpose_of("kustomize/tests/memorystore-with-all-components"), Purpose::Test);
        assert_eq!(purpose_of("deploy/e2e/billing.yaml"), Purpose::Test);
        assert_eq!(purpose_of("test/k8s/values.yaml"), Purpose::Test);
    }

    #[test]
    fn examples_samples_docs_and_extras_are_examples() {
        assert_eq!(purpose_of("extras/cloudsql/kubernetes-manifests/frontend.yaml"), Purpose::Example);
        assert_eq!(purpose_of("examples/basic/deployment.yaml"), Purpose::Example);
        assert_eq!(purpose_of("docs/Samples/app.yaml"), Purpose::Example);
        assert_eq!(purpose_of("hack/kind.yaml"), Purpose::Example);
    }

    #[test]
    fn releases_overlays_and_charts_are_meant_to_be_deployed() {
        assert_eq!(purpose_of("release/kubernetes-manifests.yaml"), Purpose::Deploy);
        assert_eq!(purpose_of("kustomize"), Purpose::Deploy);
        assert_eq!(purpose_of("."), Purpose::Deploy);
        assert_eq!(purpose_of("src/cart/chart/values.yaml"), Purpose::Deploy);
        assert_eq!(purpose_of("k8s/overlays/production"), Purpose::Deploy);
    }

    #[test]
    fn a_file_named_like_a_folder_of_tests_is_not_one() {
        // Only folders decide: a manifest called `tests.yaml` in `deploy/`
        // is deployed like its neighbours.
        assert_eq!(purpose_of("deploy/tests.yaml"), Purpose::Deploy);
        assert_eq!(purpose_of("deploy/tests/values.yaml"), Purpose::Test);
    }
}
