'use strict';

/**
 * The IPC channel between the primary and one worker: length-prefixed frames over one end of
 * a socketpair, wrapped in a `net.Socket`.
 *
 *   frame = u32 big-endian payload length | u8 kind | payload
 *   kind 0: a user message (v8.serialize, or JSON text with serialization 'json')
 *   kind 1: an internal message (JSON text), e.g. online, listen, disconnect
 *   kind 2: a user message with a handle: u8 handle type | u32 token | the message as kind 0
 *   kind 3: a raw message (`send(view, null, { raw: true })`): the bytes, no serializer;
 *           received as a `Buffer`
 *
 * Writes made in one tick go out as one write (one syscall for many small messages); the
 * reader finds the frames of each chunk with one native call (`NativeCluster.scanFrames`,
 * src/cluster/frame.rs: the header checks live there, under property tests) and only copies a
 * frame that spans chunks (once, when it is complete). A bad length, kind or payload, or a
 * stream that ends inside a frame, closes the channel with an `error` (code ERR_INVALID_FRAME).
 * @module native-parallel/lib/cluster/channel
 */

const { EventEmitter } = require('node:events');
const net = require('node:net');
const v8 = require('node:v8');
const errors = require('../errors');
const { loadNative } = require('../native');

const HEADER = 5;
const KIND_USER = 0;
const KIND_INTERNAL = 1;
const KIND_HANDLE = 2;
const KIND_RAW = 3;
/** Bytes before the message in a kind-2 payload. */
const HANDLE_PREFIX = 5;
/** The largest payload one frame may carry (256 MiB). */
const MAX_PAYLOAD = 256 * 1024 * 1024;
/** Messages are copied into staging buffers of this size, so a batch is a few big writes. */
const STAGE = 64 * 1024;
/** Payloads this large are written as they are instead of copied. */
const DIRECT = 16 * 1024;
/** A batch this large is written at once, so the peer starts reading while we go on. */
const FLUSH_AT = 16 * 1024;
/** ...or this many messages, so a burst of small messages also keeps the peer busy meanwhile. */
const FLUSH_COUNT = 8;
/** `send()` returns false once this many bytes wait to be written (node's `process.send` limit). */
const BACKLOG = 2 * 65536;
/** Frames one scan reports; `scanFrames` writes 5 words, then 3 per frame. */
const SCAN_FRAMES = 64;
const SCAN_ERRORS = ['', 'unknown frame kind', 'a frame over the 256 MiB limit', 'a handle frame too short for its prefix'];

/** @type {(buf: Buffer, from: number, out: Uint32Array) => number} */
let scanFrames;

/**
 * Serializes a user message, turning failures into a clear TypeError.
 * @param {unknown} message
 * @param {'advanced' | 'json'} serialization
 * @returns {Buffer | string} v8 bytes, or JSON text
 */
function encode(message, serialization) {
  if (message === undefined) throw errors.missingArgs('message');
  if (serialization === 'json') {
    let text;
    try {
      text = JSON.stringify(message);
    } catch (cause) {
      throw withCause(errors.invalidArgValue('message', message, `cannot be serialized as JSON (${cause.message})`), cause);
    }
    if (text === undefined) {
      throw errors.invalidArgValue('message', message, 'cannot be serialized as JSON (functions and symbols have no JSON form)');
    }
    return text;
  }
  try {
    return v8.serialize(message);
  } catch (cause) {
    throw withCause(errors.invalidArgValue('message', message, `cannot be serialized (${cause.message})`), cause);
  }
}

function withCause(err, cause) {
  err.cause = cause;
  return err;
}

/**
 * Decodes the payload `buf[start, end)`.
 * @param {Buffer} buf
 * @param {number} start
 * @param {number} end
 * @param {number} kind
 * @param {'advanced' | 'json'} serialization
 */
function decode(buf, start, end, kind, serialization) {
  if (kind === KIND_INTERNAL || serialization === 'json') return JSON.parse(buf.toString('utf8', start, end));
  return v8.deserialize(buf.subarray(start, end));
}

class Channel extends EventEmitter {
  #socket;
  #serialization;
  /** @type {Buffer[]} outgoing buffers not yet handed to the socket */
  #out = [];
  #outBytes = 0;
  #outCount = 0;
  /** Staging buffer; bytes [#start, #used) are queued and not yet in `#out`. */
  #stage = Buffer.allocUnsafe(0);
  #start = 0;
  #used = 0;
  /** @type {Function[]} send callbacks of the queued buffers */
  #callbacks = [];
  #scheduled = false;
  /** @type {Buffer[]} received bytes not yet parsed (a partial frame) */
  #partial = [];
  #partialBytes = 0;
  /** Bytes the partial frame needs in total (header included), or 0 while the header is incomplete. */
  #need = 0;
  /** Where `scanFrames` reports the frames of a chunk (one per channel: a listener may read another channel). */
  #scan = new Uint32Array(5 + 3 * SCAN_FRAMES);
  #open = true;
  #ending = false;
  #referenced = true;

  /**
   * @param {number} fd one end of the IPC socketpair (the channel owns it from now on)
   * @param {'advanced' | 'json'} serialization
   */
  constructor(fd, serialization) {
    super();
    scanFrames ??= loadNative('cluster').NativeCluster.scanFrames;
    this.#serialization = serialization;
    this.#socket = new net.Socket({ fd, readable: true, writable: true });
    this.#socket.on('data', (chunk) => this.#onData(chunk));
    this.#socket.on('end', () => this.#onEnd());
    this.#socket.on('error', () => this.#close(null));
    this.#socket.on('close', () => this.#close(null));
  }

  /** True until the channel closed. */
  get open() {
    return this.#open;
  }

  /** Bytes queued for writing, in this object and in the socket. */
  get pendingBytes() {
    return this.#outBytes + (this.#socket.writableLength || 0);
  }

  /** Keep (or stop keeping) the event loop alive for this channel. */
  ref(on) {
    if (on === this.#referenced || !this.#open) return;
    this.#referenced = on;
    if (on) this.#socket.ref();
    else this.#socket.unref();
  }

  /**
   * Queues a user message. Throws at once when it cannot be serialized.
   * @param {unknown} message
   * @param {Function} [callback] called with null once written, or an error
   */
  send(message, callback) {
    const payload = encode(message, this.#serialization);
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.length;
    if (bytes > MAX_PAYLOAD) throw errors.messageTooLarge(bytes, MAX_PAYLOAD);
    return this.#queue(KIND_USER, payload, bytes, callback) && this.#roomLeft();
  }

  /**
   * Queues a user message that comes with a handle (its fd was sent with `token`).
   * @param {unknown} message
   * @param {{ type: number, token: number }} handle
   * @param {Function} [callback]
   */
  sendWithHandle(message, handle, callback) {
    const encoded = encode(message, this.#serialization);
    const body = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
    if (body.length + HANDLE_PREFIX > MAX_PAYLOAD) throw errors.messageTooLarge(body.length, MAX_PAYLOAD);
    const payload = Buffer.allocUnsafe(HANDLE_PREFIX + body.length);
    payload[0] = handle.type;
    payload.writeUInt32BE(handle.token, 1);
    body.copy(payload, HANDLE_PREFIX);
    return this.#queue(KIND_HANDLE, payload, payload.length, callback) && this.#roomLeft();
  }

  /**
   * Queues the bytes of `view` as a raw frame (no serializer; the peer gets a `Buffer`). The
   * bytes are copied before this returns, so `view` may change afterwards.
   * @param {ArrayBufferView} view
   * @param {Function} [callback]
   */
  sendRaw(view, callback) {
    const bytes = view.byteLength;
    if (bytes > MAX_PAYLOAD) throw errors.messageTooLarge(bytes, MAX_PAYLOAD);
    let payload = Buffer.from(view.buffer, view.byteOffset, bytes);
    // A payload this large is queued as it is, not copied into a staging buffer: copy it here.
    if (bytes >= DIRECT) payload = Buffer.from(payload);
    return this.#queue(KIND_RAW, payload, bytes, callback) && this.#roomLeft();
  }

  /**
   * What a user `send()` returns, as node's: false once more than `BACKLOG` bytes wait to be
   * written (the peer is not reading), so a sender that waits for the send callback or for
   * `true` again keeps its memory bounded. The message was queued either way.
   */
  #roomLeft() {
    return this.pendingBytes < BACKLOG;
  }

  /** True while messages can still be queued (open, and not ending). */
  get writable() {
    return this.#open && !this.#ending;
  }

  /**
   * Queues an internal message (JSON).
   * @param {object} message
   */
  sendInternal(message, callback) {
    const text = JSON.stringify(message);
    return this.#queue(KIND_INTERNAL, text, Buffer.byteLength(text, 'utf8'), callback);
  }

  /**
   * @param {number} kind
   * @param {Buffer | string} payload
   * @param {number} bytes payload length in bytes
   * @param {Function} [callback]
   */
  #queue(kind, payload, bytes, callback) {
    if (!this.#open || this.#ending) {
      if (callback) process.nextTick(callback, errors.ipcChannelClosed());
      return false;
    }
    const direct = bytes >= DIRECT;
    this.#reserve(direct ? HEADER : HEADER + bytes);
    const stage = this.#stage;
    let at = this.#used;
    stage.writeUInt32BE(bytes, at);
    stage[at + 4] = kind;
    at += HEADER;
    if (direct) {
      this.#used = at;
      this.#seal();
      this.#out.push(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
    } else {
      if (typeof payload === 'string') stage.write(payload, at, bytes, 'utf8');
      else payload.copy(stage, at);
      this.#used = at + bytes;
    }
    this.#outBytes += HEADER + bytes;
    if (callback) this.#callbacks.push(callback);
    if (!this.#scheduled) {
      // The first message of a tick goes out at once, so the peer starts on it while we go
      // on; the rest of the tick's messages go out together at the end of the tick.
      this.#scheduled = true;
      this.#flush();
      process.nextTick(() => {
        this.#scheduled = false;
        this.#flush();
      });
    } else if (this.#outBytes >= FLUSH_AT || ++this.#outCount >= FLUSH_COUNT) this.#flush();
    return true;
  }

  /** Makes room for `n` more bytes in the staging buffer. */
  #reserve(n) {
    if (this.#stage.length - this.#used >= n) return;
    this.#seal();
    this.#stage = Buffer.allocUnsafe(Math.max(STAGE, n));
    this.#start = 0;
    this.#used = 0;
  }

  /** Moves the staged bytes to the outgoing list. */
  #seal() {
    if (this.#used === this.#start) return;
    this.#out.push(this.#stage.subarray(this.#start, this.#used));
    this.#start = this.#used;
  }

  #flush() {
    this.#seal();
    if (this.#out.length === 0 || !this.#open) return;
    const out = this.#out;
    const callbacks = this.#callbacks;
    this.#out = [];
    this.#outBytes = 0;
    this.#outCount = 0;
    this.#callbacks = [];
    const done =
      callbacks.length === 0
        ? undefined
        : (err) => {
            const e = err ? errors.ipcChannelClosed() : null;
            for (const cb of callbacks) cb(e);
          };
    if (out.length === 1) {
      this.#socket.write(out[0], done);
    } else {
      this.#socket.cork();
      for (let i = 0; i < out.length - 1; i++) this.#socket.write(out[i]);
      this.#socket.write(out[out.length - 1], done);
      this.#socket.uncork();
    }
    // Written at once (the usual case: the socket had room, and a write that completes at once
    // is settled before write() returns): the kernel has the bytes, so the staging buffer is
    // free and the next messages go into it again instead of a new 64 KiB allocation (which
    // costs a garbage collection now and then). Otherwise it stays the socket's until written.
    if (this.#socket.writableLength === 0) {
      this.#start = 0;
      this.#used = 0;
    }
  }

  /** Hands what is queued to the socket now instead of at the end of the tick. */
  flushNow() {
    this.#flush();
  }

  /** Writes what is queued now, synchronously if nothing is in flight (used at process exit). */
  flushSync(writeSync) {
    this.#seal();
    if (this.#out.length === 0 || !this.#open) return;
    if (this.#socket.writableLength > 0) return;
    const buf = Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    writeSync(buf);
  }

  /** Closes the writing side once everything queued is written; the peer then sees EOF. */
  end() {
    if (!this.#open || this.#ending) return;
    this.#flush();
    this.#ending = true;
    this.#socket.end();
  }

  /** Closes at once (queued messages are dropped). */
  destroy() {
    this.#socket.destroy();
    this.#close(null);
  }

  #onData(chunk) {
    if (!this.#open) return;
    let buf = chunk;
    if (this.#partialBytes > 0) {
      this.#partial.push(chunk);
      this.#partialBytes += chunk.length;
      // Until the frame that spans chunks is complete there is nothing to scan.
      if (this.#partialBytes < (this.#need || HEADER)) return;
      buf = Buffer.concat(this.#partial, this.#partialBytes);
      this.#partial = [];
      this.#partialBytes = 0;
      this.#need = 0;
    }
    this.#parse(buf, 0);
  }

  /** Delivers the complete frames of `buf` from `at` on and keeps the incomplete rest. */
  #parse(buf, at) {
    const out = this.#scan;
    for (;;) {
      const count = scanFrames(buf, at, out);
      for (let i = 0; i < count; i++) {
        const kind = out[5 + 3 * i];
        const start = out[6 + 3 * i];
        const end = start + out[7 + 3 * i];
        if (!this.#deliver(buf, kind, start, end)) return;
      }
      at = out[1];
      if (out[3] !== 0) {
        this.#close(errors.invalidFrame(`${SCAN_ERRORS[out[3]] ?? 'a malformed header'} (${out[4]})`));
        return;
      }
      if (count < SCAN_FRAMES) break;
    }
    if (at === buf.length) return;
    const rest = at === 0 ? buf : buf.subarray(at);
    this.#partial = [rest];
    this.#partialBytes = rest.length;
    this.#need = out[2];
  }

  /** Decodes and emits the frame whose payload is `buf[start, end)`; false once closed. */
  #deliver(buf, kind, start, end) {
    let message;
    let handle = null;
    try {
      if (kind === KIND_RAW) {
        // A small frame is copied out, so it does not keep the whole chunk it came in alive;
        // a large one is most of its chunk (or a chunk of its own) and is handed out as it is.
        if (end - start >= DIRECT) message = buf.subarray(start, end);
        else {
          message = Buffer.allocUnsafe(end - start);
          buf.copy(message, 0, start, end);
        }
      } else if (kind === KIND_HANDLE) {
        handle = { type: buf[start], token: buf.readUInt32BE(start + 1) };
        message = decode(buf, start + HANDLE_PREFIX, end, KIND_USER, this.#serialization);
      } else {
        message = decode(buf, start, end, kind, this.#serialization);
      }
    } catch (cause) {
      this.#close(errors.invalidFrame('the payload could not be deserialized', cause));
      return false;
    }
    try {
      if (kind === KIND_INTERNAL) this.emit('internal', message);
      else this.emit('message', message, handle);
    } catch (err) {
      // A listener threw: the frames after this one are still delivered, on the next tick.
      if (end < buf.length) {
        const rest = buf.subarray(end);
        process.nextTick(() => this.#open && this.#parse(rest, 0));
      }
      throw err;
    }
    return this.#open;
  }

  #onEnd() {
    if (this.#partialBytes > 0 && this.#open) {
      this.#close(errors.invalidFrame(`the stream ended inside a frame (${this.#partialBytes} bytes of it received)`));
      return;
    }
    this.#close(null);
  }

  /** @param {Error | null} err */
  #close(err) {
    if (!this.#open) return;
    this.#open = false;
    this.#partial = [];
    this.#partialBytes = 0;
    const callbacks = this.#callbacks;
    this.#out = [];
    this.#outBytes = 0;
    this.#start = this.#used;
    this.#callbacks = [];
    if (err) this.#socket.destroy();
    else if (!this.#socket.destroyed && !this.#ending) {
      // Let written data reach the peer; the socket closes once both sides are done.
      this.#socket.end();
    }
    for (const cb of callbacks) process.nextTick(cb, errors.ipcChannelClosed());
    if (err) this.emit('error', err);
    this.emit('close');
  }
}

module.exports = { Channel, encode, MAX_PAYLOAD, HEADER, KIND_USER, KIND_INTERNAL, KIND_RAW, BACKLOG, STAGE, DIRECT };
