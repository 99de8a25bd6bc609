//! Fixed sample documents served by `/json`, `/html` and `/xml`.

use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// A small slide-show document, the shape httpbin clients expect from `/json`.
pub async fn json() -> Json<Value> {
    Json(json!({
        "slideshow": {
            "author": "Yours Truly",
            "date": "date of publication",
            "slides": [
                { "title": "Wake up to WonderWidgets!", "type": "all" },
                {
                    "items": [
                        "Why <em>WonderWidgets</em> are great",
                        "Who <em>buys</em> WonderWidgets"
                    ],
                    "title": "Overview",
                    "type": "all"
                }
            ],
            "title": "Sample Slide Show"
        }
    }))
}

const HTML_PAGE: &str = "<!DOCTYPE html>
<html>
  <head><meta charset=\"utf-8\"><title>Sample page</title></head>
  <body>
    <h1>Herman Melville - Moby-Dick</h1>
    <div>
      <p>Call me Ishmael. Some years ago - never mind how long precisely - having little
      or no money in my purse, and nothing particular to interest me on shore, I thought
      I would sail about a little and see the watery part of the world.</p>
    </div>
  </body>
</html>
";

pub async fn html() -> Html<&'static str> {
    Html(HTML_PAGE)
}

const XML_DOC: &str = "<?xml version='1.0' encoding='us-ascii'?>
<!-- A sample slide show -->
<slideshow title=\"Sample Slide Show\" date=\"Date of publication\" author=\"Yours Truly\">
    <slide type=\"all\">
      <title>Wake up to WonderWidgets!</title>
    </slide>
    <slide type=\"all\">
        <title>Overview</title>
        <item>Why <em>WonderWidgets</em> are great</item>
        <item/>
        <item>Who <em>buys</em> WonderWidgets</item>
    </slide>
</slideshow>
";

pub async fn xml() -> Response {
    ([(CONTENT_TYPE, "application/xml")], XML_DOC).into_response()
}
