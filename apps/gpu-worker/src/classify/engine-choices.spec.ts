import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvSchema } from '@pneumoscreen/config';
import { ENGINE_CHOICES } from '@pneumoscreen/inference';

// The config lib depends on no other lib of the project, so its schema restates the model
// library's list of engines; this keeps the two the same.
test('ENGINE accepts exactly the engines the model library can start', () => {
  assert.deepEqual([...EnvSchema.shape.ENGINE.removeDefault().options].sort(), [...ENGINE_CHOICES].sort());
});
