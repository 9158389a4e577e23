//! The wiring of each declared shape, read from files as a repository holds
//! them and resolved against a repository's services.

use std::collections::BTreeMap;

use super::resolve::Services;
use super::{repository, resolve, Unit};

/// Services by name, each built from `src/<name>`.
struct Named(Vec<&'static str>);

impl Services for Named {
    fn owner(&self, unit: &Unit) -> Option<String> {
        let by_label = unit.labels.get("app").cloned();
        let by_folder = unit
            .folder
            .as_deref()
            .and_then(|f| f.strip_prefix("src/"))
            .map(|f| f.split('/').next().unwrap_or(f).to_string());
        let by_image = unit.image.as_deref().and_then(crate::identity::naming::image_name);
        [by_label, Some(unit.name.clone()), by_image, by_folder]
            .into_iter()
            .flatten()
            .find(|name| self.0.contains(&name.as_str()))
            .map(|name| format!("service:{name}"))
    }

    fn named(&self, name: &str) -> Option<String> {
        self.0.contains(&name).then(|| format!("service:{name}"))
    }

    fn names(&self) -> Vec<String> {
        self.0.iter().map(|n| n.to_string()).collect()
    }
}

fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files.iter().map(|(p, c)| (p.to_string(), c.to_string())).collect()
}

/// (from, to, via, file, variable) of every edge.
fn edges(files: &[(&str, &str)], services: &[&'static str]) -> Vec<(String, String, &'static str, String, String)> {
    let resolved = resolve(&repository::read(&tree(files)), &Named(services.to_vec()));
    let mut found: Vec<_> =
        resolved.edges.into_iter().map(|e| (e.from, e.to, e.via.as_str(), e.file, e.variable)).collect();
    found.sort();
    found
}

fn pairs(files: &[(&str, &str)], services: &[&'static str]) -> Vec<(String, String)> {
    edges(files, services).into_iter().map(|(from, to, ..)| (from, to)).collect()
}

fn deployment(name: &str, image: &str, env: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n        - name: server\n          image: {image}\n{env}"
    )
}

fn service(name: &str, selects: &str) -> String {
    format!("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {selects}\n  ports:\n    - port: 80\n")
}

fn env(pairs: &[(&str, &str)]) -> String {
    let mut text = "          env:\n".to_string();
    for (name, value) in pairs {
        text.push_str(&format!("            - name: {name}\n              value: \"{value}\"\n"));
    }
    text
}

const SHOP: [&str; 4] = ["frontend", "cartservice", "productcatalogservice", "checkoutservice"];

#[test]
fn an_env_host_and_port_naming_a_kubernetes_service_is_a_dependency_on_the_service_behind_it() {
    let frontend = deployment(
        "frontend",
        "gcr.io/shop/frontend:1",
        &env(&[
            ("CART_SERVICE_ADDR", "cartservice:7070"),
            ("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"),
        ]),
    ) + &service("frontend", "frontend");
    let cart = deployment("cartservice", "gcr.io/shop/cartservice:1", "") + &service("cartservice", "cartservice");
    let catalog = deployment("productcatalogservice", "gcr.io/shop/productcatalogservice:1", "")
        + &service("productcatalogservice", "productcatalogservice");
    let found =
        edges(&[("k8s/frontend.yaml", &frontend), ("k8s/cart.yaml", &cart), ("k8s/catalog.yaml", &catalog)], &SHOP);
    assert_eq!(
        found,
        [
            (
                "service:frontend".into(),
                "service:cartservice".into(),
                "env",
                "k8s/frontend.yaml".into(),
                "CART_SERVICE_ADDR".into()
            ),
            (
                "service:frontend".into(),
                "service:productcatalogservice".into(),
                "env",
                "k8s/frontend.yaml".into(),
                "PRODUCT_CATALOG_SERVICE_ADDR".into()
            ),
        ]
    );
}

#[test]
fn a_kubernetes_service_named_unlike_its_workload_resolves_through_its_selector() {
    let checkout = deployment(
        "checkoutservice",
        "shop/checkoutservice:1",
        &env(&[("PAYMENT_ADDR", "http://payments.shop.svc.cluster.local:50051")]),
    );
    let cart = deployment("cartservice", "shop/cartservice:1", "") + &service("payments", "cartservice");
    assert_eq!(
        pairs(&[("k8s/checkout.yaml", &checkout), ("k8s/cart.yaml", &cart)], &SHOP),
        [("service:checkoutservice".into(), "service:cartservice".into())],
        "the Service 'payments' selects app=cartservice"
    );
}

#[test]
fn a_url_in_env_names_its_host() {
    let frontend =
        deployment("frontend", "shop/frontend:1", &env(&[("CATALOG_URL", "http://productcatalogservice:80/api/v1")]));
    let catalog = deployment("productcatalogservice", "shop/productcatalogservice:1", "");
    assert_eq!(
        pairs(&[("k8s/frontend.yaml", &frontend), ("k8s/catalog.yaml", &catalog)], &SHOP),
        [("service:frontend".into(), "service:productcatalogservice".into())]
    );
}

#[test]
fn configmaps_read_through_env_from_and_config_map_key_ref_are_dependencies_via_configmap() {
    let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: service-api-config\ndata:\n  CART_API_ADDR: cartservice:8080\n  LOG_LEVEL: info\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checkout-db-config\ndata:\n  SPRING_DATASOURCE_URL: jdbc:postgresql://checkout-db:5432/checkout\n  POSTGRES_USER: checkoutservice\n";
    let frontend = deployment(
        "frontend",
        "shop/frontend:1",
        "          envFrom:\n            - configMapRef:\n                name: service-api-config\n",
    );
    let checkout = deployment(
        "checkoutservice",
        "shop/checkoutservice:1",
        "          env:\n            - name: DB_URL\n              valueFrom:\n                configMapKeyRef:\n                  name: checkout-db-config\n                  key: SPRING_DATASOURCE_URL\n",
    );
    let database = deployment("checkout-db", "postgres:16", "");
    let cart = deployment("cartservice", "shop/cartservice:1", "");
    let found = edges(
        &[
            ("k8s/config.yaml", config),
            ("k8s/frontend.yaml", &frontend),
            ("k8s/checkout.yaml", &checkout),
            ("k8s/db.yaml", &database),
            ("k8s/cart.yaml", &cart),
        ],
        &SHOP,
    );
    assert_eq!(
        found,
        [
            (
                "service:checkoutservice".into(),
                "resource:checkout-db".into(),
                "configmap",
                "k8s/config.yaml".into(),
                "DB_URL (ConfigMap checkout-db-config)".into()
            ),
            (
                "service:frontend".into(),
                "service:cartservice".into(),
                "configmap",
                "k8s/config.yaml".into(),
                "CART_API_ADDR (ConfigMap service-api-config)".into()
            ),
        ],
        "POSTGRES_USER names a service but is not an address, and checkout reads only its one key"
    );
}

#[test]
fn a_workload_running_a_third_party_image_is_a_resource_of_its_engine() {
    let cart = deployment("cartservice", "shop/cartservice:1", &env(&[("REDIS_ADDR", "redis-cart:6379")]));
    let redis = deployment("redis-cart", "redis:alpine", "") + &service("redis-cart", "redis-cart");
    let files = [("k8s/cart.yaml", cart.as_str()), ("k8s/redis.yaml", redis.as_str())];
    let resolved = resolve(&repository::read(&tree(&files)), &Named(SHOP.to_vec()));
    assert_eq!(resolved.resources.len(), 1);
    let resource = &resolved.resources[0];
    assert_eq!(
        (resource.key.as_str(), resource.kind, resource.engine, resource.image.as_str()),
        ("resource:redis-cart", "cache", "redis", "redis:alpine")
    );
    assert_eq!(pairs(&files, &SHOP), [("service:cartservice".into(), "resource:redis-cart".into())]);
}

#[test]
fn helm_values_endpoints_of_an_umbrella_chart_are_its_dependencies_dependencies() {
    let files = [
        (
            "src/app/chart/Chart.yaml",
            "apiVersion: v2\nname: store\ndependencies:\n  - name: store-ui-chart\n    alias: ui\n    repository: file://../../ui/chart\n  - name: store-cart-chart\n    alias: cart\n    repository: file://../../cart/chart\n",
        ),
        (
            "src/app/chart/values.yaml",
            "cart:\n  fullnameOverride: carts\nui:\n  app:\n    endpoints:\n      carts: http://carts:80\n      payments: https://api.stripe.com\n",
        ),
        ("src/ui/chart/Chart.yaml", "apiVersion: v2\nname: store-ui-chart\n"),
        ("src/ui/chart/values.yaml", "image:\n  repository: acme/ui\napp:\n  endpoints: {}\n"),
        ("src/ui/chart/templates/deployment.yaml", "env: {{ .Values.app.endpoints }}\n"),
        ("src/cart/chart/Chart.yaml", "apiVersion: v2\nname: store-cart-chart\n"),
        ("src/cart/chart/values.yaml", "image:\n  repository: acme/cart\n"),
    ];
    assert_eq!(
        edges(&files, &["ui", "cart"]),
        [(
            "service:ui".into(),
            "service:cart".into(),
            "helm",
            "src/app/chart/values.yaml".into(),
            "ui.app.endpoints.carts".into()
        )],
        "'carts' is the cart chart's fullnameOverride; the external URL is no edge"
    );
}

#[test]
fn a_chart_bundling_a_database_depends_on_it_as_a_resource() {
    let files = [
        ("src/catalog/chart/Chart.yaml", "apiVersion: v2\nname: catalog-chart\n"),
        (
            "src/catalog/chart/values.yaml",
            "image:\n  repository: acme/catalog\nmysql:\n  create: false\n  image:\n    repository: public.ecr.aws/docker/library/mysql\n    tag: \"8.0\"\n",
        ),
    ];
    let resolved = resolve(&repository::read(&tree(&files)), &Named(vec!["catalog"]));
    assert_eq!(resolved.resources[0].key, "resource:catalog-mysql");
    assert_eq!(resolved.resources[0].engine, "mysql");
    assert_eq!(resolved.resources[0].image, "public.ecr.aws/docker/library/mysql:8.0");
    assert_eq!(
        edges(&files, &["catalog"]),
        [(
            "service:catalog".into(),
            "resource:catalog-mysql".into(),
            "helm",
            "src/catalog/chart/values.yaml".into(),
            "mysql".into()
        )]
    );
}

#[test]
fn compose_depends_on_links_and_environment_are_dependencies_via_compose() {
    let compose = "services:
  ui:
    build: ./src/ui
    environment:
      - RETAIL_UI_ENDPOINTS_CATALOG=http://catalog:8080
    depends_on:
      cart:
        condition: service_healthy
  catalog:
    build:
      context: ./src/catalog
    links:
      - catalog-db:db
  cart:
    build: ./src/cart
    hostname: carts
    environment:
      CART_DB_ENDPOINT: http://carts-db:8000
  carts-db:
    image: amazon/dynamodb-local:1.20.0
  catalog-db:
    image: mariadb:10
";
    let found = edges(&[("docker-compose.yml", compose)], &["ui", "catalog", "cart"]);
    let summary: Vec<(&str, &str, &str, &str)> =
        found.iter().map(|(f, t, via, _, var)| (f.as_str(), t.as_str(), *via, var.as_str())).collect();
    assert_eq!(
        summary,
        [
            ("service:cart", "resource:carts-db", "compose", "CART_DB_ENDPOINT"),
            ("service:catalog", "resource:catalog-db", "compose", "links"),
            ("service:ui", "service:cart", "compose", "depends_on"),
            ("service:ui", "service:catalog", "compose", "RETAIL_UI_ENDPOINTS_CATALOG"),
        ]
    );
}

#[test]
fn a_host_is_matched_without_the_prefix_all_services_share_only_when_one_fits() {
    let web = deployment("web", "shop/rs-web:1", &env(&[("CART_HOST", "cart"), ("USER_HOST", "user")]));
    assert_eq!(
        pairs(&[("k8s/web.yaml", &web)], &["rs-web", "rs-cart"]),
        [("service:rs-web".into(), "service:rs-cart".into())],
        "'user' fits no service"
    );
}

#[test]
fn external_loopback_unknown_and_self_addresses_are_not_dependencies() {
    let frontend = deployment(
        "frontend",
        "shop/frontend:1",
        &env(&[
            ("PAYMENTS_URL", "https://api.stripe.com/v1"),
            ("OTEL_ADDR", "localhost:4317"),
            ("METRICS_ADDR", "0.0.0.0:9090"),
            ("LEGACY_ADDR", "legacy-billing:8080"),
            ("SELF_URL", "http://frontend:8080"),
            ("DB_ADDR", "10.1.2.3:5432"),
        ]),
    ) + &service("frontend", "frontend");
    assert!(pairs(&[("k8s/frontend.yaml", &frontend)], &SHOP).is_empty());
}

#[test]
fn test_and_example_folders_and_chart_templates_wire_nothing() {
    let frontend = deployment("frontend", "shop/frontend:1", &env(&[("CART_ADDR", "cartservice:7070")]));
    let cart = deployment("cartservice", "shop/cartservice:1", "");
    assert!(pairs(&[("examples/frontend.yaml", &frontend), ("k8s/cart.yaml", &cart)], &SHOP).is_empty());
    assert!(pairs(
        &[("chart/Chart.yaml", "name: shop\n"), ("chart/templates/frontend.yaml", &frontend), ("k8s/cart.yaml", &cart)],
        &SHOP
    )
    .is_empty());
}

#[test]
fn a_malformed_file_is_skipped_and_the_rest_still_wires() {
    let frontend = deployment("frontend", "shop/frontend:1", &env(&[("CART_ADDR", "cartservice:7070")]));
    let cart = deployment("cartservice", "shop/cartservice:1", "");
    let found = pairs(
        &[
            ("k8s/broken.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: [unclosed\n"),
            ("k8s/frontend.yaml", &frontend),
            ("k8s/cart.yaml", &cart),
        ],
        &SHOP,
    );
    assert_eq!(found, [("service:frontend".into(), "service:cartservice".into())]);
}

#[test]
fn compose_environment_passed_from_the_env_file_beside_it_names_addresses() {
    let compose = "services:
  checkout:
    build: ./src/checkout
    environment:
      - CART_ADDR
      - EMAIL_ADDR=http://${EMAIL_HOST}:${EMAIL_PORT:-6060}
      - OTEL_ADDR=${UNSET_HOST}:4317
  cart:
    build: ./src/cart
  email:
    build: ./src/email
";
    let found = edges(
        &[("compose.yaml", compose), (".env", "CART_PORT=7070\nCART_ADDR=cart:${CART_PORT}\nEMAIL_HOST=email\n")],
        &["checkout", "cart", "email"],
    );
    let summary: Vec<(&str, &str)> = found.iter().map(|(_, to, _, _, var)| (to.as_str(), var.as_str())).collect();
    assert_eq!(
        summary,
        [("service:cart", "CART_ADDR"), ("service:email", "EMAIL_ADDR")],
        "an unset variable names nothing"
    );
}

#[test]
fn a_kustomize_generated_configmaps_literals_are_read_like_a_configmap() {
    let frontend = deployment(
        "frontend",
        "shop/frontend:1",
        "          envFrom:\n            - configMapRef:\n                name: api\n",
    );
    let cart = deployment("cartservice", "shop/cartservice:1", "");
    let found = edges(
        &[
            ("k8s/kustomization.yaml", "resources: [frontend.yaml, cart.yaml]\nconfigMapGenerator:\n  - name: api\n    literals:\n      - CART_ADDR=cartservice:7070\n"),
            ("k8s/frontend.yaml", &frontend),
            ("k8s/cart.yaml", &cart),
        ],
        &SHOP,
    );
    assert_eq!(
        found,
        [(
            "service:frontend".into(),
            "service:cartservice".into(),
            "configmap",
            "k8s/kustomization.yaml".into(),
            "CART_ADDR (ConfigMap api)".into()
        )]
    );
}
