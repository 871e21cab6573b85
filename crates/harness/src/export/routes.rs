//! How a call the model names (`service/route`) is sent as HTTP, and the
//! product ids its paths draw from.

use incident_core::Scenario;

/// A request the model calls `service/route`, as HTTP. The paths are the
/// ones the seeds' own locustfiles use (OTel demo, Sock Shop, the leak lab).
pub(super) struct Http {
    pub(super) method: &'static str,
    /// `{id}` is replaced by one of the scenario's product ids.
    pub(super) path: &'static str,
    pub(super) name: &'static str,
    pub(super) body: Option<&'static str>,
}

const ROUTES: &[(&str, Http)] = &[
    (
        "frontend/index",
        Http {
            method: "GET",
            path: "/",
            name: "/",
            body: None,
        },
    ),
    (
        "frontend/product",
        Http {
            method: "GET",
            path: "/api/products/{id}",
            name: "/api/products/[id]",
            body: None,
        },
    ),
    (
        "frontend/recommendations",
        Http {
            method: "GET",
            path: "/api/recommendations?productIds={id}",
            name: "/api/recommendations",
            body: None,
        },
    ),
    (
        "frontend/ads",
        Http {
            method: "GET",
            path: "/api/data/?contextKeys=accessories",
            name: "/api/data",
            body: None,
        },
    ),
    (
        "frontend/cart_view",
        Http {
            method: "GET",
            path: "/api/cart",
            name: "/api/cart",
            body: None,
        },
    ),
    (
        "frontend/add_to_cart",
        Http {
            method: "POST",
            path: "/api/cart",
            name: "/api/cart",
            body: Some(
                r#"{"item": {"productId": "{id}", "quantity": 1}, "userId": "incident-lab"}"#,
            ),
        },
    ),
    (
        "checkout/place_order",
        Http {
            method: "POST",
            path: "/api/checkout",
            name: "/api/checkout",
            body: Some(
                r#"{"userId": "incident-lab", "userCurrency": "USD", "email": "learner@example.com"}"#,
            ),
        },
    ),
    (
        "front-end/catalogue",
        Http {
            method: "GET",
            path: "/catalogue",
            name: "Browse Catalogue",
            body: None,
        },
    ),
    (
        "front-end/item",
        Http {
            method: "GET",
            path: "/catalogue/{id}",
            name: "View Item",
            body: None,
        },
    ),
    (
        "front-end/basket",
        Http {
            method: "GET",
            path: "/basket.html",
            name: "View Cart",
            body: None,
        },
    ),
    (
        "front-end/login",
        Http {
            method: "GET",
            path: "/login",
            name: "Login Page",
            body: None,
        },
    ),
    (
        "front-end/cart_add",
        Http {
            method: "POST",
            path: "/cart",
            name: "Add to Cart",
            body: Some(r#"{"id": "{id}"}"#),
        },
    ),
    (
        "front-end/order",
        Http {
            method: "POST",
            path: "/orders",
            name: "Place Order",
            body: None,
        },
    ),
    (
        "front-end/orders_list",
        Http {
            method: "GET",
            path: "/orders",
            name: "Orders",
            body: None,
        },
    ),
    (
        "leaky/api_data",
        Http {
            method: "GET",
            path: "/api/data",
            name: "/api/data",
            body: None,
        },
    ),
];

/// Product ids the paths draw from: the OTel demo's, and Sock Shop's (the
/// ones seed 003's locustfile uses).
const OTEL_PRODUCT_IDS: &[&str] = &["OLJCESPC7Z", "66VCHSJNUP", "1YMWWN1N4O", "L9ECAV7KIM"];
const SOCK_SHOP_ITEM_IDS: &[&str] = &[
    "03fef6ac-1896-4ce8-bd69-b798f85c6e0b",
    "510a0d7e-8e83-4193-b483-e27e09ddc34d",
    "808a2de1-1aaa-4c25-a9b9-6612e8f29a38",
    "d3588630-ad8e-49df-bbd7-3167f7efb246",
];

pub(super) fn product_ids(sc: &Scenario) -> &'static [&'static str] {
    if incident_core::queries::namespace_of(sc) == "sock-shop" {
        SOCK_SHOP_ITEM_IDS
    } else {
        OTEL_PRODUCT_IDS
    }
}

pub(super) fn http_of(call: &str) -> Http {
    ROUTES
        .iter()
        .find(|(c, _)| *c == call)
        .map(|(_, h)| Http { ..*h })
        .unwrap_or(Http {
            method: "GET",
            path: "/",
            name: "/",
            body: None,
        })
}

/// A call as the harness sends it: method, path and body, with `{id}` filled
/// in by the scenario's first product id.
pub(crate) fn http_route(call: &str, sc: &Scenario) -> (&'static str, String, Option<String>) {
    let http = http_of(call);
    let id = product_ids(sc)[0];
    (
        http.method,
        http.path.replace("{id}", id),
        http.body.map(|b| b.replace("{id}", id)),
    )
}
