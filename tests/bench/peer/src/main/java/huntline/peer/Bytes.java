package huntline.peer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The peer's own record formats: DataOutput writers and readers that throw unchecked. */
final class Bytes {
  private Bytes() {}

  static final class Out {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
    private final DataOutputStream out = new DataOutputStream(buffer);

    Out str(String s) {
      try {
        out.writeUTF(s);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** A string that may be absent. */
    Out opt(String s) {
      bool(s != null);
      return s == null ? this : str(s);
    }

    Out i64(long v) {
      try {
        out.writeLong(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Out i32(int v) {
      try {
        out.writeInt(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Out u8(int v) {
      try {
        out.writeByte(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Out bool(boolean v) {
      return u8(v ? 1 : 0);
    }

    /** A length and the bytes. */
    Out blob(byte[] v) {
      i32(v.length);
      try {
        out.write(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    byte[] take() {
      return buffer.toByteArray();
    }
  }

  static final class In {
    private final DataInputStream in;

    In(byte[] bytes) {
      in = new DataInputStream(new ByteArrayInputStream(bytes));
    }

    String str() {
      try {
        return in.readUTF();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String opt() {
      return bool() ? str() : null;
    }

    long i64() {
      try {
        return in.readLong();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    int i32() {
      try {
        return in.readInt();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    int u8() {
      try {
        return in.readUnsignedByte();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    boolean bool() {
      return u8() != 0;
    }

    byte[] blob() {
      final byte[] v = new byte[i32()];
      try {
        in.readFully(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return v;
    }
  }
}
