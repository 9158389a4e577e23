//! Test repositories of real shapes for the dependency (wiring) tests and
//! the explorer's: Online Boutique's (Kubernetes manifests naming Services
//! in env) and the AWS retail store's (charts and compose files). Built
//! here, never copied from the real repositories.

use std::path::Path;

use super::git::TestRepo;

pub const BEFORE: &str = "2026-10-01";
pub const WIRED: &str = "2026-10-05";

fn deployment(name: &str, image: &str, env: &[(&str, &str)]) -> String {
    let mut text = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: server\n          image: {image}\n"
    );
    if !env.is_empty() {
        text.push_str("          env:\n");
        for (name, value) in env {
            text.push_str(&format!("            - name: {name}\n              value: \"{value}\"\n"));
        }
    }
    text
}

fn kube_service(name: &str, selects: &str) -> String {
    format!("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {selects}\n  ports:\n    - port: 80\n")
}

/// Online Boutique's shape: `src/<svc>/Dockerfile`, one manifest per
/// service in `kubernetes-manifests/`. The frontend's addresses are added
/// on the second day.
pub fn boutique(parent: &Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "boutique");
    let frontend =
        |env: &[(&str, &str)]| deployment("frontend", "frontend", env) + &kube_service("frontend", "frontend");
    let first = frontend(&[("PORT", "8080")]);
    let cart = deployment("cartservice", "cartservice", &[("REDIS_ADDR", "redis-cart:6379")])
        + &kube_service("cartservice", "cartservice");
    // The Service is `catalog`; the workload and the service `productcatalogservice`.
    let catalog = deployment("productcatalogservice", "productcatalogservice", &[])
        + &kube_service("catalog", "productcatalogservice");
    let checkout = deployment(
        "checkoutservice",
        "checkoutservice",
        &[
            ("CART_SERVICE_ADDR", "cartservice:7070"),
            ("PRODUCT_CATALOG_SERVICE_ADDR", "catalog.shop.svc.cluster.local:3550"),
        ],
    ) + &kube_service("checkoutservice", "checkoutservice");
    let redis = deployment("redis-cart", "redis:alpine", &[]) + &kube_service("redis-cart", "redis-cart");
    repo.commit(
        BEFORE,
        9,
        &[
            ("src/frontend/Dockerfile", Some("FROM golang:1.23\n")),
            ("src/cartservice/src/Dockerfile", Some("FROM mcr.microsoft.com/dotnet/sdk:9.0\n")),
            ("src/productcatalogservice/Dockerfile", Some("FROM golang:1.23\n")),
            ("src/checkoutservice/Dockerfile", Some("FROM golang:1.23\n")),
            ("kubernetes-manifests/frontend.yaml", Some(&first)),
            ("kubernetes-manifests/cartservice.yaml", Some(&cart)),
            ("kubernetes-manifests/productcatalogservice.yaml", Some(&catalog)),
            ("kubernetes-manifests/checkoutservice.yaml", Some(&checkout)),
            ("kubernetes-manifests/redis.yaml", Some(&redis)),
        ],
    );
    let wired = frontend(&[
        ("CART_SERVICE_ADDR", "cartservice:7070"),
        ("PRODUCT_CATALOG_SERVICE_ADDR", "catalog:3550"),
        ("CHECKOUT_SERVICE_ADDR", "checkoutservice:5050"),
        ("COLLECTOR_SERVICE_ADDR", "opentelemetrycollector:4317"),
        ("PAYMENTS_URL", "https://api.stripe.com"),
    ]);
    repo.commit(WIRED, 9, &[("kubernetes-manifests/frontend.yaml", Some(&wired))]);
    repo
}

/// The AWS retail store's shape: a chart per service under `src/<svc>/chart`
/// (the cart's bundling DynamoDB), an umbrella chart whose values give the
/// UI its endpoints, and a compose file per service.
pub fn retail(parent: &Path) -> TestRepo {
    let repo = TestRepo::new(parent, "acme", "retail");
    repo.commit(
        BEFORE,
        9,
        &[
            ("src/ui/Dockerfile", Some("FROM eclipse-temurin:21\n")),
            ("src/cart/Dockerfile", Some("FROM eclipse-temurin:21\n")),
            ("src/ui/chart/Chart.yaml", Some("apiVersion: v2\nname: retail-ui-chart\nversion: 1.0.0\n")),
            ("src/ui/chart/values.yaml", Some("image:\n  repository: acme/retail-ui\napp:\n  endpoints: {}\n")),
            ("src/ui/chart/templates/deployment.yaml", Some("env:\n{{- range .Values.app.endpoints }}\n{{- end }}\n")),
            ("src/cart/chart/Chart.yaml", Some("apiVersion: v2\nname: retail-cart-chart\nversion: 1.0.0\n")),
            (
                "src/cart/chart/values.yaml",
                Some("image:\n  repository: acme/retail-cart\ndynamodb:\n  create: false\n  image:\n    repository: amazon/dynamodb-local\n    tag: \"1.25.1\"\n"),
            ),
            (
                "src/cart/docker-compose.yml",
                Some("services:\n  cart:\n    build:\n      context: .\n    hostname: carts\n    environment:\n      - RETAIL_CART_PERSISTENCE_DYNAMODB_ENDPOINT=http://carts-db:8000\n    depends_on:\n      carts-db:\n        condition: service_healthy\n  carts-db:\n    image: amazon/dynamodb-local:1.20.0\n"),
            ),
            (
                "src/ui/docker-compose.yml",
                Some("services:\n  ui:\n    build:\n      context: .\n    environment:\n      - RETAIL_UI_ENDPOINTS_CARTS=http://carts:8080\n"),
            ),
            (
                "src/app/chart/Chart.yaml",
                Some("apiVersion: v2\nname: retail-store\nversion: 1.0.0\ndependencies:\n  - name: retail-cart-chart\n    alias: cart\n    repository: file://../../cart/chart\n  - name: retail-ui-chart\n    alias: ui\n    repository: file://../../ui/chart\n"),
            ),
            (
                "src/app/chart/values.yaml",
                Some("cart:\n  fullnameOverride: carts\nui:\n  fullnameOverride: ui\n  app:\n    endpoints:\n      carts: http://carts:80\n"),
            ),
        ],
    );
    repo
}
