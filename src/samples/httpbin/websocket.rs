//! `/websocket/echo`: go-httpbin's WebSocket endpoint, which sends every message back.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;

/// Upgrade and echo text and binary messages until the client closes.
pub async fn echo(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(run)
}

async fn run(mut socket: WebSocket) {
    while let Some(Ok(msg)) = socket.recv().await {
        let reply = match msg {
            Message::Text(_) | Message::Binary(_) => msg,
            Message::Close(_) => break,
            // Pings are answered by the library.
            _ => continue,
        };
        if socket.send(reply).await.is_err() {
            break;
        }
    }
}
