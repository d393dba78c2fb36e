// A browser-only single-page app: the hub serves the static shell, everything else is live over the WebSocket.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
