//! The service a Helm chart's own metadata names. Charts are often named
//! for being charts (`retail-store-sample-cart-chart`, `billing-helm`):
//! that name is not a service. The GitHub mapping prefers the service the
//! chart's image belongs to (collectors/src/github/attach.rs); this is what
//! it falls back to.

use yaml_serde::Value;

use crate::service_labels::BACKSTAGE_ID;

/// `Chart.yaml` annotations that name the service, strongest first: SPoT's
/// own, then Backstage's.
const SERVICE_ANNOTATIONS: [&str; 2] = ["spot/service", BACKSTAGE_ID];

/// Suffixes that say "this is a chart", longest first.
const CHART_SUFFIXES: [&str; 4] = ["-helm-chart", "-chart", "-helm", "-charts"];

/// The service `chart` (a parsed `Chart.yaml`, whose `name` is `name`)
/// deploys: an annotation's, else its name without a chart suffix.
pub fn service_of_chart(chart: &Value, name: &str) -> String {
    let annotated = SERVICE_ANNOTATIONS.iter().find_map(|key| {
        let value = chart.get("annotations")?.get(*key)?.as_str()?.trim();
        (!value.is_empty()).then(|| value.to_lowercase())
    });
    annotated.unwrap_or_else(|| without_chart_suffix(&name.to_lowercase()).to_string())
}

fn without_chart_suffix(name: &str) -> &str {
    CHART_SUFFIXES.iter().find_map(|suffix| name.strip_suffix(suffix).filter(|s| !s.is_empty())).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(yaml: &str) -> Value {
        yaml_serde::from_str(yaml).unwrap()
    }

    #[test]
    fn a_chart_suffix_is_not_part_of_the_service_name() {
        let cart = chart("name: retail-store-sample-cart-chart\n");
        assert_eq!(service_of_chart(&cart, "retail-store-sample-cart-chart"), "retail-store-sample-cart");
        assert_eq!(service_of_chart(&chart("name: Billing-Helm\n"), "Billing-Helm"), "billing");
        assert_eq!(service_of_chart(&chart("name: ledger\n"), "ledger"), "ledger");
        assert_eq!(service_of_chart(&chart("name: chart\n"), "chart"), "chart", "nothing left to strip to");
    }

    #[test]
    fn an_annotation_names_the_service_over_the_charts_name() {
        let annotated = chart("name: shop-chart\nannotations:\n  spot/service: Storefront\n");
        assert_eq!(service_of_chart(&annotated, "shop-chart"), "storefront");
        let backstage = chart("name: shop-chart\nannotations:\n  backstage.io/kubernetes-id: shop-web\n");
        assert_eq!(service_of_chart(&backstage, "shop-chart"), "shop-web");
    }
}
