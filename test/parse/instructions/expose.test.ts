import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HullError, ParseError } from '../../../src/errors.js';
import { parsePortSpec, portKeys } from '../../../src/parse/instructions/index.js';
import { oneOf, rejects } from './helpers.js';

describe('EXPOSE', () => {
  it('keeps the ports as words', () => {
    const expose = oneOf('EXPOSE 80 443/tcp 53/udp $PORT', 'expose');
    assert.deepEqual(expose.ports.map((p) => p.value), ['80', '443/tcp', '53/udp', '$PORT']);
  });

  it('rejects a literal bad port at the word', () => {
    rejects('EXPOSE 80 http', 1, 11, 'EXPOSE http: write a port as 80, 80/tcp, 53/udp or a range such as 8000-8010/tcp');
    rejects('EXPOSE 70000', 1, 8, 'EXPOSE 70000: a port number must be at most 65535');
    rejects('EXPOSE 80/icmp', 1, 8, 'EXPOSE 80/icmp: unknown protocol "icmp": use tcp, udp or sctp');
    rejects('EXPOSE 9000-8000', 1, 8, 'EXPOSE 9000-8000: the range ends (8000) before it starts (9000)');
  });

  it('rejects EXPOSE with no port', () => {
    rejects('EXPOSE', 1, 1, 'EXPOSE requires at least one argument: EXPOSE <port>[/<protocol>]...');
  });
});

describe('parsePortSpec', () => {
  it('reads single ports, protocols and ranges', () => {
    assert.deepEqual(parsePortSpec('80'), { start: 80, end: 80, protocol: 'tcp' });
    assert.deepEqual(parsePortSpec('80/TCP'), { start: 80, end: 80, protocol: 'tcp' });
    assert.deepEqual(parsePortSpec('53/udp'), { start: 53, end: 53, protocol: 'udp' });
    assert.deepEqual(parsePortSpec('8000-8002/sctp'), { start: 8000, end: 8002, protocol: 'sctp' });
  });

  it('lists the config keys of a range', () => {
    assert.deepEqual(portKeys(parsePortSpec('8000-8002')), ['8000/tcp', '8001/tcp', '8002/tcp']);
  });

  it('throws a HullError without a position and a ParseError with one', () => {
    assert.throws(
      () => parsePortSpec('x'),
      (e: unknown) => e instanceof HullError && !(e instanceof ParseError),
    );
    assert.throws(
      () => parsePortSpec('', { file: 'Dockerfile', line: 3, column: 8 }),
      (e: unknown) => e instanceof ParseError && e.line === 3 && e.column === 8,
    );
  });
});
