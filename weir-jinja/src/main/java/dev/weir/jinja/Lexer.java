package dev.weir.jinja;

import java.util.ArrayList;
import java.util.List;

/** Hand-written scanner producing the token list of a template (whitespace control applied to DATA tokens). */
final class Lexer {
  static final int DATA = 0, VAR_BEGIN = 1, VAR_END = 2, BLOCK_BEGIN = 3, BLOCK_END = 4, NAME = 5, STRING = 6, INT = 7,
      FLOAT = 8, OP = 9, EOF = 10;

  static final class Token {
    final int type;
    final String text; // DATA text, NAME, OP, STRING (unescaped)
    final Object value; // INT/FLOAT values
    final int line;

    Token(int type, String text, Object value, int line) {
      this.type = type;
      this.text = text;
      this.value = value;
      this.line = line;
    }

    // The first characters first: most checks are negative, and cheaper so than String.equals.
    boolean isOp(String op) { return type == OP && text.charAt(0) == op.charAt(0) && text.equals(op); }
    boolean isName(String n) { return type == NAME && text.charAt(0) == n.charAt(0) && text.equals(n); }

    String describe() {
      switch (type) {
        case DATA: return "template data";
        case VAR_BEGIN: return "begin of print statement";
        case VAR_END: return "end of print statement";
        case BLOCK_BEGIN: return "begin of statement block";
        case BLOCK_END: return "end of statement block";
        case EOF: return "end of template";
        case STRING: return "string";
        case INT: case FLOAT: return String.valueOf(value);
        default: return "'" + text + "'";
      }
    }
  }

  private final String name;
  private final String src;
  /** The source as characters: the scanner reads each several times, and an array read is far cheaper than
   *  {@code String.charAt} before the JIT has optimized it (most of a one-shot parse of 10,000 files). */
  private final char[] cs;
  private final boolean trimBlocks, lstripBlocks;
  private final List<Token> out = new ArrayList<>();
  private int pos;
  private int line = 1;
  private boolean stripNextLeading; // '-' on previous tag end
  private boolean trimNextNewline; // trim_blocks after previous block end

  Lexer(String name, String source, boolean trimBlocks, boolean lstripBlocks, boolean keepTrailingNewline) {
    this.name = name;
    String s = source;
    if (s.indexOf('\r') >= 0) s = s.replace("\r\n", "\n").replace('\r', '\n');
    if (!keepTrailingNewline && s.endsWith("\n")) s = s.substring(0, s.length() - 1);
    this.src = s;
    this.cs = s.toCharArray();
    this.trimBlocks = trimBlocks;
    this.lstripBlocks = lstripBlocks;
  }

  private TemplateSyntaxError err(int l, String msg) { return new TemplateSyntaxError(name, l, msg); }

  List<Token> tokenize() {
    int n = src.length();
    while (pos < n) {
      int start = pos;
      int tagPos = -1;
      char kind = 0;
      for (int i = pos; i < n - 1; i++) {
        if (cs[i] == '{') {
          char c = cs[i + 1];
          if (c == '{' || c == '%' || c == '#') {
            tagPos = i;
            kind = c;
            break;
          }
        }
      }
      if (tagPos < 0) {
        emitData(src.substring(start), false, false, false);
        pos = n;
        break;
      }
      char mod = tagPos + 2 < n ? cs[tagPos + 2] : 0;
      String data = src.substring(start, tagPos);
      boolean isBlock = kind == '%' || kind == '#';
      boolean lineStart = start == 0 || cs[start - 1] == '\n';
      // raw block?
      if (kind == '%' && isRawStart(tagPos)) {
        emitData(data, mod == '-', lstripBlocks && mod != '+', lineStart);
        lexRaw(tagPos);
        continue;
      }
      emitData(data, mod == '-', isBlock && lstripBlocks && mod != '+', lineStart);
      pos = tagPos + 2;
      if (mod == '-' || mod == '+') pos++;
      if (kind == '#') {
        int end = src.indexOf("#}", pos);
        if (end < 0) throw err(line, "Missing end of comment tag");
        countLines(tagPos, end + 2);
        boolean minus = end > pos && cs[end - 1] == '-';
        boolean plus = end > pos && cs[end - 1] == '+';
        pos = end + 2;
        stripNextLeading = minus;
        trimNextNewline = trimBlocks && !minus && !plus;
      } else {
        countLines(tagPos, pos);
        lexTag(kind == '%');
      }
    }
    out.add(new Token(EOF, "", null, out.isEmpty() ? 1 : out.get(out.size() - 1).line));
    return out;
  }

  private void countLines(int from, int to) {
    for (int i = from; i < to; i++) if (cs[i] == '\n') line++;
  }

  private void emitData(String data, boolean rstrip, boolean lstripLine, boolean lineStart) {
    int dataLine = line;
    int lines = 0;
    for (int i = 0; i < data.length(); i++) if (data.charAt(i) == '\n') lines++;
    if (stripNextLeading) {
      int i = 0;
      while (i < data.length() && Character.isWhitespace(data.charAt(i))) {
        if (data.charAt(i) == '\n') dataLine++;
        i++;
      }
      data = data.substring(i);
      stripNextLeading = false;
    } else if (trimNextNewline && data.startsWith("\n")) {
      data = data.substring(1);
      dataLine++;
      lineStart = true;
    }
    trimNextNewline = false;
    if (rstrip) {
      int e = data.length();
      while (e > 0 && Character.isWhitespace(data.charAt(e - 1))) e--;
      data = data.substring(0, e);
    } else if (lstripLine) {
      int nl = data.lastIndexOf('\n');
      if (nl >= 0 || lineStart) {
        int i = nl + 1;
        boolean onlyWs = true;
        for (int k = i; k < data.length(); k++) {
          char c = data.charAt(k);
          if (c != ' ' && c != '\t') {
            onlyWs = false;
            break;
          }
        }
        if (onlyWs) data = data.substring(0, i);
      }
    }
    if (!data.isEmpty()) out.add(new Token(DATA, data, null, dataLine));
    line += lines;
  }

  private boolean isRawStart(int tagPos) {
    int i = tagPos + 2;
    int n = src.length();
    if (i < n && (cs[i] == '-' || cs[i] == '+')) i++;
    while (i < n && Character.isWhitespace(cs[i])) i++;
    if (!src.startsWith("raw", i)) return false;
    i += 3;
    int j = i;
    while (j < n && Character.isWhitespace(cs[j])) j++;
    if (j < n && cs[j] == '-') j++;
    return src.startsWith("%}", j) && (j > i || src.startsWith("%}", i) || cs[i] == '-' || Character.isWhitespace(cs[i]));
  }

  private void lexRaw(int tagPos) {
    int n = src.length();
    int i = src.indexOf("%}", tagPos) + 2;
    boolean stripInner = cs[i - 3] == '-';
    countLines(tagPos, i);
    // find endraw
    int search = i;
    while (true) {
      int b = src.indexOf("{%", search);
      if (b < 0) throw err(line, "Missing end of raw directive");
      int k = b + 2;
      boolean minus = k < n && cs[k] == '-';
      if (minus || (k < n && cs[k] == '+')) k++;
      while (k < n && Character.isWhitespace(cs[k])) k++;
      if (src.startsWith("endraw", k)) {
        k += 6;
        while (k < n && Character.isWhitespace(cs[k])) k++;
        boolean endMinus = false, endPlus = false;
        if (k < n && cs[k] == '-') { endMinus = true; k++; } else if (k < n && cs[k] == '+') { endPlus = true; k++; }
        if (!src.startsWith("%}", k)) throw err(line, "Missing end of raw directive");
        String body = src.substring(i, b);
        if (stripInner) {
          int s = 0;
          while (s < body.length() && Character.isWhitespace(body.charAt(s))) s++;
          body = body.substring(s);
        }
        int startLine = line;
        if (minus) {
          int e = body.length();
          while (e > 0 && Character.isWhitespace(body.charAt(e - 1))) e--;
          body = body.substring(0, e);
        } else if (lstripBlocks && !(b + 2 < n && cs[b + 2] == '+')) {
          int nl = body.lastIndexOf('\n');
          int st = nl + 1;
          boolean ws = true;
          for (int q = st; q < body.length(); q++) if (body.charAt(q) != ' ' && body.charAt(q) != '\t') { ws = false; break; }
          if (ws && nl >= 0) body = body.substring(0, st);
        }
        if (!body.isEmpty()) out.add(new Token(DATA, body, null, startLine));
        countLines(i, k + 2);
        pos = k + 2;
        stripNextLeading = endMinus;
        trimNextNewline = trimBlocks && !endMinus && !endPlus;
        return;
      }
      search = b + 2;
    }
  }

  private void lexTag(boolean block) {
    int n = src.length();
    int tagLine = line;
    out.add(new Token(block ? BLOCK_BEGIN : VAR_BEGIN, block ? "{%" : "{{", null, line));
    int depth = 0;
    while (true) {
      if (pos >= n) throw err(tagLine, block ? "Unexpected end of template. Jinja was looking for the end of a block tag ('%}')." : "unexpected end of template, expected 'end of print statement'.");
      char c = cs[pos];
      if (c == '\n') {
        line++;
        pos++;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        pos++;
        continue;
      }
      if (depth == 0) {
        char endC = block ? '%' : '}';
        if ((c == '-' || c == '+') && pos + 2 < n + 0 && pos + 2 <= n - 1 + 1 && src.startsWith(block ? "%}" : "}}", pos + 1)) {
          pos += 3;
          out.add(new Token(block ? BLOCK_END : VAR_END, "", null, line));
          stripNextLeading = c == '-';
          trimNextNewline = block && trimBlocks && c != '-' && c != '+';
          return;
        }
        if (c == endC && pos + 1 < n && cs[pos + 1] == '}') {
          pos += 2;
          out.add(new Token(block ? BLOCK_END : VAR_END, "", null, line));
          stripNextLeading = false;
          trimNextNewline = block && trimBlocks;
          return;
        }
      }
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (c > 127 && Character.isLetter(c))) {
        int st = pos;
        while (pos < n) {
          char d = cs[pos];
          if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') || d == '_' || (d >= '0' && d <= '9') || (d > 127 && Character.isLetterOrDigit(d))) pos++;
          else break;
        }
        out.add(new Token(NAME, src.substring(st, pos), null, line));
        continue;
      }
      if (c >= '0' && c <= '9') {
        lexNumber();
        continue;
      }
      if (c == '\'' || c == '"') {
        lexString(c);
        continue;
      }
      char c2 = pos + 1 < n ? cs[pos + 1] : 0;
      String op;
      switch (c) {
        case '/': op = c2 == '/' ? "//" : "/"; break;
        case '*': op = c2 == '*' ? "**" : "*"; break;
        case '=': op = c2 == '=' ? "==" : "="; break;
        case '!':
          if (c2 != '=') throw err(line, "unexpected char '!' at " + pos);
          op = "!=";
          break;
        case '<': op = c2 == '=' ? "<=" : "<"; break;
        case '>': op = c2 == '=' ? ">=" : ">"; break;
        case '+': op = "+"; break;
        case '-': op = "-"; break;
        case '%': op = "%"; break;
        case '~': op = "~"; break;
        case '[': op = "["; depth++; break;
        case ']': op = "]"; break;
        case '(': op = "("; depth++; break;
        case ')': op = ")"; break;
        case '{': op = "{"; depth++; break;
        case '}': op = "}"; break;
        case '.': op = "."; break;
        case ':': op = ":"; break;
        case '|': op = "|"; break;
        case ',': op = ","; break;
        case ';': op = ";"; break;
        default: throw err(line, "unexpected char " + Python.repr(String.valueOf(c)) + " at " + pos);
      }
      if (c == ')' || c == ']' || c == '}') {
        if (depth == 0) throw err(line, "unexpected '" + op + "'");
        depth--;
      }
      pos += op.length();
      out.add(new Token(OP, op, null, line));
    }
  }
  private void lexNumber() {
    int n = src.length();
    int st = pos;
    if (cs[pos] == '0' && pos + 1 < n && "bBoOxX".indexOf(cs[pos + 1]) >= 0) {
      char r = Character.toLowerCase(cs[pos + 1]);
      pos += 2;
      int ds = pos;
      while (pos < n && (Character.isLetterOrDigit(cs[pos]) || cs[pos] == '_')) pos++;
      String digits = src.substring(ds, pos).replace("_", "");
      int radix = r == 'b' ? 2 : r == 'o' ? 8 : 16;
      out.add(new Token(INT, src.substring(st, pos), Python.normBig(new java.math.BigInteger(digits, radix)), line));
      return;
    }
    while (pos < n && (Character.isDigit(cs[pos]) || cs[pos] == '_')) pos++;
    boolean isFloat = false;
    if (pos + 1 < n && cs[pos] == '.' && Character.isDigit(cs[pos + 1])) {
      isFloat = true;
      pos++;
      while (pos < n && (Character.isDigit(cs[pos]) || cs[pos] == '_')) pos++;
    }
    if (pos < n && (cs[pos] == 'e' || cs[pos] == 'E')) {
      int save = pos;
      pos++;
      if (pos < n && (cs[pos] == '+' || cs[pos] == '-')) pos++;
      if (pos < n && Character.isDigit(cs[pos])) {
        isFloat = true;
        while (pos < n && Character.isDigit(cs[pos])) pos++;
      } else {
        pos = save;
      }
    }
    String text = src.substring(st, pos).replace("_", "");
    if (isFloat) out.add(new Token(FLOAT, text, Double.parseDouble(text), line));
    else out.add(new Token(INT, text, Python.normBig(new java.math.BigInteger(text)), line));
  }

  private void lexString(char q) {
    int n = src.length();
    int startLine = line;
    pos++;
    // Most literals have no escapes: take them whole.
    for (int i = pos; i < n; i++) {
      char c = cs[i];
      if (c == q) {
        String text = src.substring(pos, i);
        for (int k = pos; k < i; k++) if (cs[k] == '\n') line++;
        pos = i + 1;
        out.add(new Token(STRING, text, null, startLine));
        return;
      }
      if (c == '\\') break;
    }
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= n) throw err(startLine, "unexpected end of string");
      char c = cs[pos++];
      if (c == q) break;
      if (c == '\n') line++;
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (pos >= n) throw err(startLine, "unexpected end of string");
      char e = cs[pos++];
      switch (e) {
        case 'n': sb.append('\n'); break;
        case 't': sb.append('\t'); break;
        case 'r': sb.append('\r'); break;
        case '0': sb.append('\0'); break;
        case 'a': sb.append('\u0007'); break;
        case 'b': sb.append('\b'); break;
        case 'f': sb.append('\f'); break;
        case 'v': sb.append('\u000b'); break;
        case '\\': sb.append('\\'); break;
        case '\'': sb.append('\''); break;
        case '"': sb.append('"'); break;
        case '\n': line++; break;
        case 'x': sb.append((char) Integer.parseInt(src.substring(pos, pos + 2), 16)); pos += 2; break;
        case 'u': sb.append((char) Integer.parseInt(src.substring(pos, pos + 4), 16)); pos += 4; break;
        case 'U': sb.appendCodePoint(Integer.parseInt(src.substring(pos, pos + 8), 16)); pos += 8; break;
        default: sb.append('\\').append(e);
      }
    }
    out.add(new Token(STRING, sb.toString(), null, startLine));
  }
}
