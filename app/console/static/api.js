// The public GraphQL API at /graphql: queries over HTTP, subscriptions over graphql-transport-ws.

const KEY = "roster.adminToken";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Run a query or mutation; throws ApiError (and signals "roster:unauthorized" on 401). */
export async function gql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token.get() ?? ""}` },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new ApiError(`Roster did not answer (${err.message})`, 0);
  }
  const body = await response.json().catch(() => ({}));
  const first = body.errors?.[0];
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent("roster:unauthorized", { detail: first?.message }));
  }
  if (!response.ok || first) {
    const message = body.errors?.map((e) => e.message).join("; ") || `HTTP ${response.status}`;
    throw new ApiError(message, response.status, first?.extensions?.code);
  }
  return body.data;
}

/**
 * Subscribe over graphql-transport-ws: connection_init (with the token) → connection_ack →
 * subscribe → next… Reconnects with backoff unless the server refused the token (4403).
 * onState receives "connecting", "live", "reconnecting" or "refused". Returns a stop function.
 */
export function subscribe(query, variables, { onNext, onState }) {
  const url = new URL("/graphql", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  let socket = null;
  let stopped = false;
  let attempt = 0;
  let timer = null;

  const open = () => {
    onState("connecting");
    socket = new WebSocket(url, "graphql-transport-ws");
    const send = (message) => socket.send(JSON.stringify(message));
    socket.onopen = () =>
      send({ type: "connection_init", payload: { Authorization: `Bearer ${token.get() ?? ""}` } });
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        attempt = 0;
        send({ id: "1", type: "subscribe", payload: { query, variables } });
        onState("live");
      } else if (message.type === "next") {
        onNext(message.payload);
      } else if (message.type === "ping") {
        send({ type: "pong" });
      } else if (message.type === "error") {
        onState("refused");
      }
    };
    socket.onclose = (event) => {
      if (stopped) return;
      if (event.code === 4403 || event.code === 4401) {
        onState("refused");
        return;
      }
      onState("reconnecting");
      timer = setTimeout(open, Math.min(30000, 1000 * 2 ** attempt++));
    };
  };

  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ id: "1", type: "complete" }));
    }
    socket?.close(1000);
  };
}
