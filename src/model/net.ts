// HTTP(S) requests for the model download and the Hugging Face Hub listing, through a proxy when one is configured.
// VS Code-free. Which proxy: VS Code's http.proxy / http.noProxy settings (passed in by the extension) first, else
// the HTTPS_PROXY / HTTP_PROXY / NO_PROXY environment (also for the command line). An http:// URL goes to the proxy
// as a forward-proxy request (absolute URL in the request line); an https:// URL goes through a CONNECT tunnel, so the
// proxy sees only the host name, and TLS is end to end. No dependency: Node's http/https/tls do all of it.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';

export interface ProxyConfig {
  /** Proxy for http:// URLs (http://[user:pass@]host:port). */
  httpProxy?: string;
  /** Proxy for https:// URLs. */
  httpsProxy?: string;
  /** Hosts that bypass the proxy: "host", ".domain", "*.domain", "host:port", "*" (comma or space separated). */
  noProxy?: string;
}

export interface NetOptions {
  proxy?: ProxyConfig;
  /** Extra trusted certificates (PEM) for https, beyond Node's bundled ones (a company CA, or a test's own). */
  ca?: string[];
}

/**
 * The proxy configuration: an explicit proxy (VS Code's http.proxy) wins for both schemes; otherwise the environment's
 * HTTPS_PROXY / HTTP_PROXY (either case); noProxy from the setting (http.noProxy) and NO_PROXY together.
 */
export function proxyConfig(env: NodeJS.ProcessEnv = process.env, setting: { proxy?: string; noProxy?: readonly string[] } = {}): ProxyConfig {
  const pick = (...names: string[]) => names.map(n => env[n]?.trim()).find(v => v !== undefined && v !== '');
  const explicit = setting.proxy?.trim() || undefined;
  const noProxy = [...(setting.noProxy ?? []), pick('NO_PROXY', 'no_proxy') ?? ''].flatMap(s => s.split(/[\s,]+/)).filter(Boolean).join(',');
  const cfg: ProxyConfig = {};
  const httpProxy = explicit ?? pick('HTTP_PROXY', 'http_proxy');
  const httpsProxy = explicit ?? pick('HTTPS_PROXY', 'https_proxy') ?? httpProxy;
  if (httpProxy) cfg.httpProxy = httpProxy;
  if (httpsProxy) cfg.httpsProxy = httpsProxy;
  if (noProxy) cfg.noProxy = noProxy;
  return cfg;
}

/**
 * Inside VS Code: its extension host patches Node's http/https (http.proxySupport "override", "fallback" or "on") and
 * then itself routes every request by http.proxy, http.noProxy and the environment, replacing any agent we pass.
 * Proxying again on top of that would send the proxy's own address through the proxy. So our own proxying (which the
 * command line always uses) applies in the extension only when the user turned VS Code's off.
 */
export function extensionProxyConfig(proxySupport: string | undefined, setting: { proxy?: string; noProxy?: readonly string[] }, env: NodeJS.ProcessEnv = process.env): ProxyConfig | undefined {
  return proxySupport === 'off' ? proxyConfig(env, setting) : undefined;
}

/** The proxy URL to use for `target`, or undefined to connect directly. */
export function proxyFor(target: URL, cfg: ProxyConfig | undefined): URL | undefined {
  if (!cfg) return undefined;
  const raw = target.protocol === 'https:' ? cfg.httpsProxy : cfg.httpProxy;
  if (!raw || bypasses(target, cfg.noProxy ?? '')) return undefined;
  try {
    const u = new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
    if (u.protocol !== 'http:') throw new Error('only http:// proxies are supported');
    return u;
  } catch (err) {
    throw new Error(`the proxy ${JSON.stringify(raw)} is not usable (${(err as Error).message}); fix http.proxy or HTTPS_PROXY/HTTP_PROXY`, { cause: err });
  }
}

function bypasses(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  return noProxy.split(/[\s,]+/).filter(Boolean).some(rule => {
    if (rule === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(rule.toLowerCase())!;
    const ruleHost = m[1]!.replace(/^\*?\./, '.');
    if (m[2] && m[2] !== port) return false;
    return ruleHost.startsWith('.') ? host.endsWith(ruleHost) || host === ruleHost.slice(1) : host === ruleHost;
  });
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const cred = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'Proxy-Authorization': `Basic ${Buffer.from(cred).toString('base64')}` };
}

/** An https agent whose connections are CONNECT tunnels through an http proxy. */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: URL) {
    super({ keepAlive: false });
  }

  // Node's Agent calls createConnection(options, callback) and waits for the callback when it returns nothing
  override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): undefined {
    const tlsOptions = options as tls.ConnectionOptions & { host?: string; port?: number };
    const host = tlsOptions.host ?? 'localhost';
    const port = Number(tlsOptions.port ?? 443);
    const fail = (err: Error) => callback?.(err, undefined as unknown as Duplex);
    const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const req = http.request({
      host: this.proxy.hostname, port: Number(this.proxy.port || 80), method: 'CONNECT', path: authority, agent: false,
      headers: { Host: authority, ...proxyAuth(this.proxy) },
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        fail(new Error(`the proxy ${this.proxy.host} refused the tunnel to ${authority} (HTTP ${res.statusCode})`));
        return;
      }
      const servername = tlsOptions.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host);
      const secure = tls.connect({ ...tlsOptions, socket, ...(servername ? { servername } : {}) });
      callback?.(null, secure);
    });
    req.once('error', err => fail(new Error(`cannot reach the proxy ${this.proxy.host} (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    req.end();
    return undefined;
  }
}

/** Starts a GET of `target` (directly or through the configured proxy); the caller listens for 'response'/'error'. */
export function get(target: URL, headers: Record<string, string>, opts: NetOptions = {}): http.ClientRequest {
  const proxy = proxyFor(target, opts.proxy);
  const ca = opts.ca && opts.ca.length > 0 ? [...tls.rootCertificates, ...opts.ca] : undefined;
  if (target.protocol === 'https:') {
    // the default agent when direct, on purpose: VS Code's extension host patches it to honour its proxy settings
    return https.get(target, { headers, ...(ca ? { ca } : {}), ...(proxy ? { agent: new TunnelAgent(proxy) } : {}) });
  }
  if (!proxy) return http.get(target, { headers });
  return http.get({
    host: proxy.hostname, port: Number(proxy.port || 80), path: target.href, agent: false,
    headers: { ...headers, Host: target.host, ...proxyAuth(proxy) },
  });
}
