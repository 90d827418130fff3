import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildGraph, type BuildGraph, type BuildGraphOptions } from '../../src/graph/index.js';
import { parseDockerfile } from '../../src/parse/parser.js';
import { conformanceDir } from '../helpers/paths.js';

const dir = join(conformanceDir(), 'realworld');
const files = readdirSync(dir).sort();

function graph(name: string, options: BuildGraphOptions = {}): BuildGraph {
  const text = readFileSync(join(dir, name), 'utf8');
  return buildGraph(parseDockerfile(text, { file: name }), { platform: 'linux/amd64', buildPlatform: 'linux/amd64', ...options });
}

/** `kind:to<-from` for every stage-to-stage dependency, in order. */
function edges(g: BuildGraph): string[] {
  return g.stages.flatMap((s) => s.deps.filter((d) => d.stage !== undefined).map((d) => `${d.kind}:${s.index}<-${d.stage}`));
}

describe('real-world Dockerfiles', () => {
  it('finds the 193 official-image Dockerfiles', () => {
    assert.equal(files.length, 193);
  });

  it('parses and graphs every one, Windows ones included, on two platforms', () => {
    for (const name of files) {
      for (const platform of ['linux/amd64', 'linux/arm/v7']) {
        assert.doesNotThrow(() => graph(name, { platform }), `${name} (${platform})`);
      }
    }
    assert.ok(files.some((f) => f.includes('windows')));
  });

  it('graphs the nginx module builders as builder → final through a mount', () => {
    const bases: Record<string, string> = {
      'nginxinc__docker-nginx__modules__Dockerfile': 'nginx:mainline',
      'nginxinc__docker-nginx__modules__Dockerfile.alpine': 'nginx:mainline-alpine',
    };
    for (const name of ['nginxinc__docker-nginx__modules__Dockerfile', 'nginxinc__docker-nginx__modules__Dockerfile.alpine']) {
      const g = graph(name);
      assert.equal(g.stages.length, 2, name);
      assert.equal(g.stages[0]!.name, 'builder');
      assert.deepEqual(g.stages.map((s) => s.baseName), [bases[name], bases[name]]);
      assert.deepEqual(edges(g), ['mount:1<-0']);
      assert.equal(g.target, 1);
      assert.deepEqual(g.buildOrder, [0, 1]);
    }
    const g = graph('nginxinc__docker-nginx__modules__Dockerfile', { buildArgs: { NGINX_FROM_IMAGE: 'nginx:stable', ENABLED_MODULES: 'brotli' } });
    assert.equal(g.stages[1]!.baseName, 'nginx:stable');
    assert.deepEqual(g.warnings, []);
  });

  it('graphs the golang images as build → final through COPY --from', () => {
    for (const name of files.filter((f) => /^docker-library__golang__(1\.27|tip)__/.test(f) && !f.includes('windows'))) {
      const g = graph(name);
      assert.equal(g.stages.length, 2, name);
      assert.deepEqual(edges(g), ['copy:1<-0'], name);
    }
  });

  it('graphs the dockerfile-frontend Dockerfile', () => {
    const g = graph('moby__buildkit__frontend__dockerfile__cmd__dockerfile-frontend__Dockerfile');
    assert.deepEqual(g.stages.map((s) => s.id), ['xx', 'base', 'version', 'build', 'release', 'stage-5']);
    assert.deepEqual(edges(g), ['copy:1<-0', 'from:2<-1', 'from:3<-1', 'mount:3<-2', 'mount:3<-2', 'copy:4<-3', 'from:5<-4']);
    assert.equal(g.stages[0]!.platform, 'linux/amd64');
    assert.ok(g.stages.every((s) => s.used));
  });

  it('prunes fsutil to what its last stage needs', () => {
    const g = graph('moby__buildkit__vendor__github.com__tonistiigi__fsutil__Dockerfile');
    assert.equal(g.stages.length, 13);
    assert.deepEqual(g.buildOrder.map((i) => g.stages[i]!.id), ['xx', 'base', 'build', 'stage-12']);
    const cov = graph('moby__buildkit__vendor__github.com__tonistiigi__fsutil__Dockerfile', { target: 'test-coverage' });
    assert.deepEqual(cov.buildOrder.map((i) => cov.stages[i]!.id), ['xx', 'base', 'test', 'test-coverage']);
  });

  it("graphs BuildKit's own 49-stage Dockerfile", () => {
    const g = graph('moby__buildkit__Dockerfile');
    assert.equal(g.stages.length, 49);
    const byId = new Map(g.stages.map((s) => [s.id, s]));
    const stage = (id: string) => byId.get(id)!;
    // FROM with a global ARG and with a platform ARG pick stages.
    assert.deepEqual(stage('binaries').base, { kind: 'stage', stage: stage('binaries-linux').index });
    assert.deepEqual(stage('buildkit-export').base, { kind: 'stage', stage: stage('buildkit-export-alpine').index });
    assert.equal(stage('golatest').baseName, 'golang:1.26-alpine3.23');
    assert.equal(stage('xx').platform, 'linux/amd64');
    // COPY --from stages and images, mounts from stages.
    const cni = stage('cni-plugins');
    assert.deepEqual(cni.deps.filter((d) => d.kind === 'copy').map((d) => d.stage), [stage('xx').index, stage('dnsname').index]);
    assert.ok(stage('binfmt-filter').deps.some((d) => d.kind === 'copy' && d.image?.startsWith('tonistiigi/binfmt:buildkit-')));
    assert.deepEqual(
      stage('buildctl').deps.filter((d) => d.kind === 'mount').map((d) => d.stage),
      [stage('buildkit-version').index],
    );
    assert.ok(g.externalImages.some((img) => img.ref === 'quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z'));
    // The default target is the last stage; minio is not part of it.
    assert.equal(g.target, 48);
    assert.equal(stage('minio').used, false);
    assert.ok(stage('buildkitd').used);
  });

  it('follows TARGETOS into FROM binaries-$TARGETOS', () => {
    const g = graph('moby__buildkit__Dockerfile', { platform: 'freebsd/amd64', target: 'binaries' });
    const byId = new Map(g.stages.map((s) => [s.id, s]));
    assert.deepEqual(byId.get('binaries')!.base, { kind: 'stage', stage: byId.get('binaries-freebsd')!.index });
    assert.equal(byId.get('binaries-linux')!.used, false);
    assert.equal(byId.get('binaries-freebsd')!.used, true);
  });
});
