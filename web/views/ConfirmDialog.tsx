/**
 * A modal confirmation: the native `<dialog>` opened with `showModal()`, so focus moves
 * into it, stays there, and Escape cancels; its title names it for screen readers.
 */
import { useEffect, useRef } from "preact/hooks";

export interface ConfirmDialogProps {
  title: string;
  message: preact.ComponentChildren;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
}

let nextId = 1;

export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useRef(`confirm-${nextId++}`);
  useEffect(() => {
    const el = dialog.current;
    if (el && !el.open) el.showModal();
    return () => el?.close();
  }, []);
  return (
    <dialog
      ref={dialog}
      class="confirm"
      aria-labelledby={`${id.current}-title`}
      aria-describedby={`${id.current}-message`}
      onCancel={(e) => (e.preventDefault(), onCancel())}
    >
      <h2 id={`${id.current}-title`}>{title}</h2>
      <p id={`${id.current}-message`}>{message}</p>
      <div class="dialog-actions">
        <button type="button" class="secondary" onClick={onCancel}>
          Keep it
        </button>
        <button type="button" class="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
