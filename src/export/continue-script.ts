// continue_training.py: the run's starting point continued on an existing training stack —
// transformers, PEFT and accelerate — for users who outgrow the browser. It builds the PEFT model
// from the allocated ranks (init_adapter_config.json), loads the initial adapter A₀, B₀
// (init_adapter.safetensors; for LoRA-GA and PiSSA it also takes s·B₀A₀ out of W, as the run did),
// and trains on data_manifest.json's training batches in the run's order with the run's AdamW,
// learning rate of every step (warm-up and cosine, written out), LoRA+ ratio (B's parameters a
// group of their own), gradient clipping and loss (the mean over every counted label of a step).
// `accelerate launch continue_training.py` spreads each step's micro-batches over the GPUs.
// Generated text only: it is syntax-checked in this project's tests, not run here.

import type { JobConfig } from '../train/config';
import { modifiesBaseWeights } from '../train/config';
import { learningRate } from '../train/schedule';

export const CONTINUE_SCRIPT = 'continue_training.py';
export const INIT_ADAPTER = 'init_adapter.safetensors';
export const INIT_ADAPTER_CONFIG = 'init_adapter_config.json';

export function continueScript({ config, baseModel, taskType }: { config: JobConfig; baseModel: string; taskType: 'CAUSAL_LM' | 'SEQ_2_SEQ_LM' }): string {
  const rates = Array.from({ length: config.steps }, (_, step) => learningRate(step, { baseLr: config.lr, totalSteps: config.steps, warmupFraction: config.warmupFraction, minRatio: config.minLrRatio }));
  const seq2seq = taskType === 'SEQ_2_SEQ_LM';
  const py = (value: unknown) => JSON.stringify(value).replace(/\btrue\b/g, 'True').replace(/\bfalse\b/g, 'False').replace(/\bnull\b/g, 'None');
  return `# Continues a GoRA Studio run (method ${config.method}) with transformers, PEFT and accelerate:
#   pip install torch transformers peft accelerate safetensors
#   python continue_training.py                # one GPU (or the CPU)
#   accelerate launch continue_training.py     # several GPUs: each step's micro-batches are shared out
# Run it in the run folder, beside data_manifest.json, ${INIT_ADAPTER} and ${INIT_ADAPTER_CONFIG};
# BASE_MODEL must name the base model (a hub id or a local folder). The trained adapter is saved to OUT.
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from accelerate import Accelerator
from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file
from transformers import ${seq2seq ? 'AutoModelForSeq2SeqLM' : 'AutoModelForCausalLM'}

HERE = Path(__file__).resolve().parent
BASE_MODEL = ${py(baseModel)}
OUT = HERE / "continued_adapter"
STEPS = ${config.steps}
GRAD_ACCUM = ${config.gradAccum}
# The learning rate of every step, as the run's schedule gives it (warm-up ${config.warmupFraction}, cosine to ${config.minLrRatio} of ${config.lr}).
LEARNING_RATES = ${py(rates)}
LORA_PLUS_RATIO = ${config.loraPlusRatio}
WEIGHT_DECAY = ${config.weightDecay}
MAX_GRAD_NORM = ${config.maxGradNorm}
SUBTRACT_INITIAL = ${py(modifiesBaseWeights(config.method))}


def main():
    accelerator = Accelerator()
    cfg = json.loads((HERE / "${INIT_ADAPTER_CONFIG}").read_text())
    base = ${seq2seq ? 'AutoModelForSeq2SeqLM' : 'AutoModelForCausalLM'}.from_pretrained(BASE_MODEL, torch_dtype=torch.float32)
    lora = LoraConfig(
        r=cfg["r"],
        lora_alpha=cfg["lora_alpha"],
        target_modules=cfg["target_modules"],
        rank_pattern=cfg["rank_pattern"],
        alpha_pattern=cfg["alpha_pattern"],
        use_rslora=cfg["use_rslora"],
        fan_in_fan_out=cfg.get("fan_in_fan_out", False),
        lora_dropout=0.0,
        bias="none",
        task_type=cfg["task_type"],
    )
    model = get_peft_model(base, lora)
    set_peft_model_state_dict(model, load_file(str(HERE / "${INIT_ADAPTER}")))
    if SUBTRACT_INITIAL:
        # LoRA-GA and PiSSA train on W - s*B0*A0, so that the model starts where the base model is.
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, LoraLayer) and "default" in module.lora_A:
                    delta = module.scaling["default"] * (module.lora_B["default"].weight @ module.lora_A["default"].weight)
                    weight = module.get_base_layer().weight
                    weight -= delta.T if cfg.get("fan_in_fan_out", False) else delta

    a_params = [p for n, p in model.named_parameters() if p.requires_grad and "lora_A" in n]
    b_params = [p for n, p in model.named_parameters() if p.requires_grad and "lora_B" in n]
    optimizer = torch.optim.AdamW(
        [{"params": a_params, "lr_ratio": 1.0}, {"params": b_params, "lr_ratio": LORA_PLUS_RATIO}],
        lr=LEARNING_RATES[0], betas=(0.9, 0.999), eps=1e-8, weight_decay=WEIGHT_DECAY,
    )
    model, optimizer = accelerator.prepare(model, optimizer)
    batches = json.loads((HERE / "data_manifest.json").read_text())["train"]
    world, rank = accelerator.num_processes, accelerator.process_index

    for step in range(STEPS):
        micro = batches[step * GRAD_ACCUM:(step + 1) * GRAD_ACCUM]
        # The step's loss is the mean over every counted label of its micro-batches.
        count = sum(counted(b) for b in micro)
        for group in optimizer.param_groups:
            group["lr"] = LEARNING_RATES[step] * group["lr_ratio"]
        total = 0.0
        for b in micro[rank::world]:
            loss_sum = summed_loss(model, b, accelerator.device)
            # DDP averages gradients over the processes: scaled by their number, they add up.
            accelerator.backward(loss_sum * world / count)
            total += loss_sum.item()
        accelerator.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        optimizer.zero_grad()
        if accelerator.is_main_process and (step + 1) % 10 == 0:
            print(f"step {step + 1}/{STEPS}: loss (this process) {total / count * world:.4f}, lr {LEARNING_RATES[step]:.3e}")

    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(str(OUT))
        print(f"saved to {OUT}")


def counted(batch):
${seq2seq ? '    return sum(1 for row in batch["labels"] for label in row if label >= 0)' : '    # The loss at position t predicts labels[t + 1].\n    return sum(1 for row in batch["labels"] for label in row[1:] if label >= 0)'}


def summed_loss(model, batch, device):
    labels = torch.tensor(batch["labels"], device=device)
${
  seq2seq
    ? `    input_ids = torch.tensor(batch["input_ids"], device=device)
    attention_mask = torch.tensor(batch["attention_mask"], device=device)
    logits = model(input_ids=input_ids, attention_mask=attention_mask, labels=labels).logits
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=-100, reduction="sum")`
    : `    input_ids = torch.tensor(batch["input_ids"], device=device)
    logits = model(input_ids=input_ids).logits
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), labels[:, 1:].flatten(), ignore_index=-100, reduction="sum")`
}


if __name__ == "__main__":
    main()
`;
}
