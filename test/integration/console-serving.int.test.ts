/**
 * The local stack serves the console at /app on the API's origin: its files with their types, the
 * SPA's addresses (index.html), its runtime settings, and nothing outside its directory.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../helpers/http.ts';

let api: TestApi;
let dir: string;
const INDEX = '<!doctype html><title>console</title>';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), INDEX);
  await writeFile(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(dir, 'assets', 'index-abc.css'), 'body{}');
  await writeFile(join(tmpdir(), 'outside-console.txt'), 'secret');
  api = await startTestApi({ consoleDir: dir });
});
afterAll(async () => {
  await api?.stop();
  await rm(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`${api.url}${path}`, { redirect: 'manual' });

describe('GET /app', () => {
  it('answers every console address (the emails link to them) with index.html', async () => {
    for (const path of [
      '/app/',
      '/app/sign-in',
      '/app/tenants/acme',
      '/app/tenants/acme/requests/01KREQ',
      '/app/tenants/acme/grants/g1',
      '/app/tenants/acme/sessions',
      '/app/support',
    ]) {
      // Act
      const res = await get(path);
      // Assess
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('serves built files with their content types, and a missing one as 404', async () => {
    // Act
    const js = await get('/app/assets/index-abc.js');
    const css = await get('/app/assets/index-abc.css');
    const missing = await get('/app/assets/nope.js');
    // Assess
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(missing.status).toBe(404);
  });

  it('answers the runtime settings of local mode', async () => {
    // Act
    const res = await get('/app/config.json');
    // Assess
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ mode: 'local', apiUrl: '' });
  });

  it('redirects /app to /app/', async () => {
    // Act
    const res = await get('/app');
    // Assess
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/app/');
  });

  it('never serves a file outside its directory', async () => {
    for (const path of [
      '/app/..%2foutside-console.txt',
      '/app/assets/..%2f..%2foutside-console.txt',
      '/app/%2e%2e%2F%2e%2e%2Fpackage.json',
    ]) {
      // Act
      const res = await get(path);
      const body = await res.text();
      // Assess
      expect(res.status, path).toBe(404);
      expect(body).not.toContain('secret');
    }
  });

  it('says how to build the console when it is not built', async () => {
    // Prepare
    const empty = await mkdtemp(join(tmpdir(), 'console-empty-'));
    const bare = await startTestApi({ consoleDir: empty });
    try {
      // Act
      const res = await fetch(`${bare.url}/app/tenants/acme`);
      // Assess
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run web:build');
    } finally {
      await bare.stop();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
