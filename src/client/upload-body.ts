/** What `jobs.create` accepts as a file, turned into a request body of known length. */
import { typeByExtension as mediaTypeOf } from "../uploads/sniff";

/** A stream with its size: the raw route needs a `Content-Length`. */
export interface SizedStream {
  stream: ReadableStream<Uint8Array>;
  size: number;
  /** The file name, unless `opts.filename` gives it. */
  name?: string;
  /** The media type; otherwise guessed from the name. */
  type?: string;
}

/** A `Blob`/`File`, a stream with its size, or (Node entry only) a path. */
export type FileInput = Blob | SizedStream | string;

/** The types the service reads, by extension (DESIGN §4; the server sniffs the bytes too). */
export { TYPES_BY_EXTENSION as MEDIA_TYPES, typeByExtension as mediaTypeOf } from "../uploads/sniff";

export const baseName = (path: string) => path.split(/[\\/]/).pop() ?? path;

/** A source the transport can send, once or (when `replayable`) again on a retry. */
export interface UploadSource {
  name: string | undefined;
  type: string;
  size: number;
  replayable: boolean;
  open(): ReadableStream<Uint8Array> | Blob;
}

export function uploadSource(file: Blob | SizedStream, name?: string): UploadSource {
  if (file instanceof Blob) {
    const fileName = name ?? (file as Partial<File>).name;
    const type = file.type || (fileName && mediaTypeOf(fileName)) || "application/octet-stream";
    return { name: fileName, type, size: file.size, replayable: true, open: () => file };
  }
  const fileName = name ?? file.name;
  let used = false;
  return {
    name: fileName,
    type: file.type || (fileName && mediaTypeOf(fileName)) || "application/octet-stream",
    size: file.size,
    replayable: false,
    open() {
      if (used) throw new Error("A stream can be sent only once");
      used = true;
      return file.stream;
    },
  };
}

/** Counts bytes as they leave, for upload progress. */
export function counted(body: ReadableStream<Uint8Array> | Blob, onBytes: (sent: number) => void): ReadableStream<Uint8Array> {
  let sent = 0;
  const stream = body instanceof Blob ? body.stream() : body;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        onBytes(sent);
        controller.enqueue(chunk);
      },
    }),
  );
}
