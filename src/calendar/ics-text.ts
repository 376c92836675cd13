// From the bytes of a feed to the text the parser reads.
//
// RFC 5545 folds lines at 75 octets, and some writers fold in the middle of a
// multi-byte UTF-8 character. Decoding first would turn both halves into
// U+FFFD, so such folds are undone on the bytes, before decoding. Only those:
// other folds stay as they are, so stored VEVENT texts (and UIDs derived from
// them) do not change.
//
// PostgreSQL refuses U+0000 in text and jsonb columns: one NUL in a SUMMARY
// would fail the whole sync, so NULs are dropped here, for every field at once.

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

/** A UTF-8 continuation byte (10xxxxxx): it can never start a character, so a fold before it splits one. */
const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

/** Removes the folds (CRLF or LF, then a space or tab) that are followed by a UTF-8 continuation byte. */
function joinSplitCharacters(bytes: Uint8Array): Uint8Array {
  let out: Uint8Array | null = null;
  let written = 0;
  let copiedUpTo = 0;
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) {
    const whitespace = bytes[i + 1];
    if ((whitespace !== SPACE && whitespace !== TAB) || !isContinuation(bytes[i + 2])) continue;
    const foldStart = i > 0 && bytes[i - 1] === CR ? i - 1 : i;
    out ??= new Uint8Array(bytes.length);
    out.set(bytes.subarray(copiedUpTo, foldStart), written);
    written += foldStart - copiedUpTo;
    copiedUpTo = i + 2;
  }
  if (!out) return bytes;
  out.set(bytes.subarray(copiedUpTo), written);
  return out.subarray(0, written + bytes.length - copiedUpTo);
}

/** The feed's text: UTF-8 (invalid sequences become U+FFFD), without a BOM, split characters rejoined, NULs dropped. */
export function decodeIcsBytes(bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8').decode(joinSplitCharacters(bytes)); // drops a UTF-8 BOM
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}
