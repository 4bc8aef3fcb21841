/**
 * HTTPS in front of a loopback HTTP server (DynamoDB Local, the KMS stand-in), for the fresh
 * processes of section 6. In AWS the functions reach DynamoDB and KMS over HTTPS, so their first
 * request sets up TLS, and the SDK's HTTP handler sends through `node:https`, which the bundle
 * imports at init. Against a plain `http://` endpoint the same handler loads `node:http` with a
 * dynamic `import()` at the first request instead (tens of milliseconds in Node 24: the module's
 * ESM namespace reads every export, WebSocket's included), a cost no deployed function pays and
 * the TLS set-up that every one pays would be missing.
 *
 * A TLS terminator on loopback with a self-signed certificate for 127.0.0.1 (made by `openssl`
 * at start, valid for a day); the fresh processes trust it through `NODE_EXTRA_CA_CERTS`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';

export interface TlsFront {
  /** `https://127.0.0.1:port` */
  endpoint: string;
  stop(): Promise<void>;
}

export interface TlsCertificate {
  key: Buffer;
  cert: Buffer;
  /** The certificate's file, for `NODE_EXTRA_CA_CERTS`. */
  certFile: string;
  remove(): void;
}

/** A self-signed P-256 certificate for 127.0.0.1. */
export function loopbackCertificate(): TlsCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'support-access-tls-'));
  const [keyFile, certFile] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ]),
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error('section 6 needs openssl to make a loopback TLS certificate (apt-get install -y openssl)', { cause: e });
  }
  return {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Terminates TLS on a free loopback port and passes each connection on to `target` (`http://host:port`). */
export async function startTlsFront(target: string, certificate: TlsCertificate): Promise<TlsFront> {
  const { hostname, port } = new URL(target);
  const server: Server = createServer({ key: certificate.key, cert: certificate.cert }, (socket) => {
    const upstream = connect(Number(port), hostname);
    upstream.setNoDelay(true);
    socket.setNoDelay(true);
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
    socket.on('close', close);
    upstream.on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${address.port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
