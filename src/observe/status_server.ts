/**
 * The HTTP endpoint on `status_addr`: GET /status (the report as JSON, which `status` asks) and
 * GET /metrics (Prometheus text).
 *
 * @module
 */
import type { Config } from "../config/config.ts";
import { errorMessage, type Logger } from "../util/log.ts";
import type { StatusReport } from "./metrics.ts";
import { prometheusText } from "./prometheus.ts";

/** `host:port` as a URL authority (IPv6 in brackets). */
export function authority(addr: { host: string; port: number }): string {
  return addr.host.includes(":") ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/**
 * Serves GET /status (the report as JSON) and GET /metrics (Prometheus text) on `status_addr`.
 * Returns null when disabled or when the address cannot be bound: monitoring must never stop the
 * sync, so a bind failure is only a warning.
 */
export function serveStatus(
  config: Config,
  report: () => Promise<StatusReport>,
  log: Logger,
): Deno.HttpServer | null {
  const addr = config.statusAddr;
  if (!addr) return null;
  const handler = async (request: Request): Promise<Response> => {
    const { pathname } = new URL(request.url);
    if (pathname !== "/status" && pathname !== "/metrics") {
      return new Response("not found: try /status or /metrics\n", { status: 404 });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET" } });
    }
    try {
      const current = await report();
      return pathname === "/status"
        ? Response.json(current)
        : new Response(prometheusText(current), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
    } catch (err) {
      return new Response(`status unavailable: ${errorMessage(err)}\n`, { status: 500 });
    }
  };
  try {
    const server = Deno.serve({ hostname: addr.host, port: addr.port, onListen() {} }, handler);
    log.info(`status on http://${authority(addr)}/status and /metrics`);
    return server;
  } catch (err) {
    log.warn(
      `cannot serve status on ${authority(addr)} (status_addr in ${config.file}): ${
        errorMessage(err)
      }; syncing anyway without it (set status_addr to a free port, or "off")`,
    );
    return null;
  }
}
