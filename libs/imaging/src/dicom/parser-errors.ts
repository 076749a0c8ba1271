/**
 * What a failure of dicom-parser means for the file, in the product's words. Its own messages
 * name its internals (`dicomParser:parseDicomDataSetExplicit: buffer overrun`), which tell an
 * operator nothing; the original stays on the error's `cause`.
 */
export function describeParseFailure(err: unknown, otherwise = 'its data set cannot be parsed'): string {
  const message = messageOf(err);
  if (/past end of buffer|buffer overrun|cannot be greater than or equal to 'byteArray' length/.test(message)) {
    return 'truncated (the file ends inside a data element)';
  }
  if (/missing required meta header attribute/.test(message)) return 'the file meta group names no transfer syntax';
  if (/DICM prefix not found/.test(message)) return 'no "DICM" marker after the 128-byte preamble';
  if (/basic offset table/.test(message)) return 'its frame offset table does not match its pixel data fragments';
  if (/fragment/.test(message)) return 'its pixel data fragments do not hold a frame';
  // Date and time errors quote the value, which may be a birth date: never passed on.
  if (/invalid (DA|TM)/.test(message)) return 'a date or time element is malformed';
  return otherwise;
}

/** dicom-parser throws strings, Errors, or `{ exception, dataSet }` when it fails mid data set. */
function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && 'exception' in err) return messageOf((err as { exception: unknown }).exception);
  return String(err);
}
