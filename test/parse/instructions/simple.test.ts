import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('USER, WORKDIR, STOPSIGNAL, MAINTAINER', () => {
  it('read their one argument', () => {
    assert.equal(oneOf('USER app:staff', 'user').user.value, 'app:staff');
    assert.equal(oneOf('USER ${UID}', 'user').user.value, '${UID}');
    assert.equal(oneOf('WORKDIR /app', 'workdir').path.value, '/app');
    assert.equal(oneOf('STOPSIGNAL SIGQUIT', 'stopsignal').signal.value, 'SIGQUIT');
    assert.equal(oneOf('MAINTAINER Jane Doe <jane@example.com>', 'maintainer').maintainer, 'Jane Doe <jane@example.com>');
  });

  it('keep a WORKDIR with spaces as one path', () => {
    assert.equal(oneOf('WORKDIR /my app', 'workdir').path.value, '/my app');
  });

  it('reject a missing argument', () => {
    rejects('USER', 1, 1, 'USER requires exactly one argument: USER <user>[:<group>]');
    rejects('WORKDIR', 1, 1, 'WORKDIR requires exactly one argument: WORKDIR <path>');
    rejects('STOPSIGNAL', 1, 1, 'STOPSIGNAL requires exactly one argument: STOPSIGNAL <signal>');
    rejects('MAINTAINER', 1, 1, 'MAINTAINER requires exactly one argument: MAINTAINER <name>');
  });

  it('reject flags', () => {
    rejects('WORKDIR --x=1 /a', 1, 9, 'WORKDIR takes no flags, but --x was given');
    rejects('USER --x=1 a', 1, 6, 'USER takes no flags, but --x was given');
  });
});

describe('VOLUME', () => {
  it('reads the JSON and the word forms', () => {
    assert.deepEqual(oneOf('VOLUME ["/data", "/var/log"]', 'volume').volumes.map((v) => v.value), ['/data', '/var/log']);
    assert.deepEqual(oneOf('VOLUME /data /var/log', 'volume').volumes.map((v) => v.value), ['/data', '/var/log']);
  });

  it('falls back to words when the JSON is invalid', () => {
    assert.deepEqual(oneOf("VOLUME ['/data']", 'volume').volumes.map((v) => v.value), ["['/data']"]);
  });

  it('rejects an empty volume list or an empty path', () => {
    rejects('VOLUME', 1, 1, 'VOLUME requires at least one argument: VOLUME <path>... or VOLUME ["<path>", ...]');
    rejects('VOLUME []', 1, 1, 'VOLUME requires at least one argument: VOLUME <path>... or VOLUME ["<path>", ...]');
    rejects('VOLUME ["/a", " "]', 1, 15, 'VOLUME paths can not be empty strings');
  });
});
