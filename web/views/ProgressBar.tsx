/** A labelled progress bar (0..1); `tone` follows the job's status. */
import { percent } from "../format";

export function ProgressBar({ value, label, tone = "running" }: { value: number; label: string; tone?: string }) {
  const pct = Math.floor(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div class="progress">
      <div class={`bar tone-${tone}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div class="fill" style={{ width: `${pct}%` }} />
      </div>
      <span class="pct">{percent(value)}</span>
    </div>
  );
}
