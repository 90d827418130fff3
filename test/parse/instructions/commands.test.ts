import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneOf, rejects } from './helpers.js';

describe('CMD and ENTRYPOINT', () => {
  it('read the exec form', () => {
    const cmd = oneOf('CMD ["nginx", "-g", "daemon off;"]', 'cmd');
    assert.equal(cmd.form, 'exec');
    assert.deepEqual(cmd.command, ['nginx', '-g', 'daemon off;']);
    const ep = oneOf('ENTRYPOINT ["/docker-entrypoint.sh"]', 'entrypoint');
    assert.deepEqual([ep.form, ep.command], ['exec', ['/docker-entrypoint.sh']]);
  });

  it('read the shell form as one line', () => {
    const cmd = oneOf('CMD echo "$HOME" && sleep 1', 'cmd');
    assert.deepEqual([cmd.form, cmd.command], ['shell', ['echo "$HOME" && sleep 1']]);
    const ep = oneOf('ENTRYPOINT exec top -b', 'entrypoint');
    assert.deepEqual([ep.form, ep.command], ['shell', ['exec top -b']]);
  });

  it('accept an empty command, which clears the inherited one', () => {
    assert.deepEqual(oneOf('CMD []', 'cmd').command, []);
    assert.deepEqual(oneOf('ENTRYPOINT []', 'entrypoint').command, []);
  });

  it('take no flags', () => {
    rejects('CMD --x=1 true', 1, 5, 'CMD takes no flags, but --x was given');
    rejects('ENTRYPOINT --x true', 1, 12, 'ENTRYPOINT takes no flags, but --x was given');
  });
});

describe('SHELL', () => {
  it('reads the JSON form', () => {
    assert.deepEqual(oneOf('SHELL ["/bin/bash", "-o", "pipefail", "-c"]', 'shell').shell, ['/bin/bash', '-o', 'pipefail', '-c']);
    assert.deepEqual(oneOf('SHELL ["powershell", "-Command"]', 'shell').shell, ['powershell', '-Command']);
  });

  it('rejects the shell form and an empty array', () => {
    rejects('SHELL /bin/bash -c', 1, 7, 'SHELL requires the arguments to be in JSON form, such as SHELL ["/bin/bash", "-c"]');
    rejects('SHELL []', 1, 7, 'SHELL requires at least one argument, such as SHELL ["/bin/bash", "-c"]');
  });
});
