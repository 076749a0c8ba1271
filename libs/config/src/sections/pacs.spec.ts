import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../config';

test('no DICOMWEB_STOW_URL: nothing is pushed', () => {
  assert.equal(loadConfig({}).pacs, undefined);
});

test('DICOMWEB_STOW_URL is the DICOMweb base; STOW-RS goes to <base>/studies, with the defaults', () => {
  const c = loadConfig({ DICOMWEB_STOW_URL: 'https://pacs.example.org/dicom-web/', DICOMWEB_AUTHORIZATION: 'Bearer abc.def' });
  assert.deepEqual(c.pacs, {
    stowUrl: 'https://pacs.example.org/dicom-web/studies',
    authorization: 'Bearer abc.def',
    timeoutMs: 60_000,
    maxAttempts: 10,
  });
  assert.equal(
    loadConfig({ DICOMWEB_STOW_URL: 'http://orthanc:8042/dicom-web', DICOMWEB_MAX_ATTEMPTS: '3', DICOMWEB_TIMEOUT_MS: '500' }).pacs
      ?.maxAttempts,
    3,
  );
});

test('a bad PACS setting fails start-up naming the variable, never echoing a credential', () => {
  const fails = (env: Record<string, string>, name: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (e: Error) => e instanceof ConfigError && name.test(e.message) && !e.message.includes('hunter2'),
    );
  fails({ DICOMWEB_STOW_URL: 'not a url' }, /DICOMWEB_STOW_URL/);
  fails({ DICOMWEB_STOW_URL: 'ftp://pacs/dicom-web' }, /DICOMWEB_STOW_URL: must be an http or https URL/);
  fails(
    { DICOMWEB_STOW_URL: 'https://user:hunter2@pacs/dicom-web' },
    /DICOMWEB_STOW_URL: must not carry credentials; set DICOMWEB_AUTHORIZATION/,
  );
  fails({ DICOMWEB_STOW_URL: 'https://pacs/dicom-web?token=hunter2' }, /DICOMWEB_STOW_URL: must have no query/);
  fails({ DICOMWEB_AUTHORIZATION: 'Basic hunter2' }, /DICOMWEB_AUTHORIZATION: set without DICOMWEB_STOW_URL/);
  fails(
    { DICOMWEB_STOW_URL: 'https://pacs/dicom-web', DICOMWEB_AUTHORIZATION: 'Bearer hunter2\r\nX: y' },
    /DICOMWEB_AUTHORIZATION: must be a header value/,
  );
  fails({ DICOMWEB_STOW_URL: 'https://pacs/dicom-web', DICOM_OUTPUTS: 'false' }, /DICOMWEB_STOW_URL: set, but DICOM_OUTPUTS is off/);
  fails({ DICOMWEB_STOW_URL: 'https://pacs/dicom-web', DICOMWEB_TIMEOUT_MS: '5' }, /DICOMWEB_TIMEOUT_MS/);
});
