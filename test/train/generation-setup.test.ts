// The prompt as generation reads it (src/train/generation-setup.ts): plain text as the data's rows
// begin, or one user message in the model's chat template with the assistant's turn begun.

import { describe, expect, it } from 'vitest';
import { openAnyModel } from '../../src/model/open';
import { nodeModelFiles } from '../../src/model/node-files';
import { modelKind } from '../../src/train/model-kinds';
import { promptSetup } from '../../src/train/generation-setup';
import { fixturePath } from '../engine/fixtures';

describe('the prompt of a generation', () => {
  it('plain text is what the data\'s rows begin with; a chat prompt is the template\'s rendering, without added special tokens', async () => {
    const model = await openAnyModel(await nodeModelFiles(fixturePath('smollm2')));
    const tokenizer = model.tokenizer!;
    expect(promptSetup(model, 'Hello there').promptIds).toEqual(modelKind(model).promptIds(model, 'Hello there'));
    const chat = promptSetup(model, 'Hello there', true);
    const rendered = tokenizer.applyChatTemplate([{ role: 'user', content: 'Hello there' }], { addGenerationPrompt: true });
    expect(rendered).toMatch(/^<\|im_start\|>user\nHello there<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    expect(chat.promptIds).toEqual(tokenizer.encode(rendered, { addSpecialTokens: false }));
    expect(chat.stopToken).toBe(tokenizer.eosTokenId);
    expect(() => promptSetup(model, '')).toThrow(/the prompt is empty/);
  });

  it('refuses the chat format where there is no chat template', async () => {
    const t5 = await openAnyModel(await nodeModelFiles(fixturePath('t5')));
    expect(() => promptSetup(t5, 'Hello', true)).toThrow(/no chat template/);
  });
});
