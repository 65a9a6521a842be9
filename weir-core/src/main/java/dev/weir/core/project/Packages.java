package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Yaml;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * dbt packages: the specs of {@code packages.yml} / {@code dependencies.yml}, their install
 * folders under {@code packages-install-path}, {@code weir deps} (local packages are symlinked as
 * dbt does; git, hub and tarball packages are fetched over the network) and {@code package-lock.yml}.
 */
public final class Packages {
  private Packages() {}

  /** One entry of packages.yml: its kind (local, git, tarball, package) and the entry as written. */
  public record Spec(String kind, String source, Map<String, Object> raw) {
    /** How messages name the package: the source as written. */
    public String describe() { return kind + ": " + source; }
  }

  /** The specs of packages.yml, else dependencies.yml's {@code packages:}; empty when neither exists. */
  @SuppressWarnings("unchecked")
  public static List<Spec> specs(Path projectDir) {
    Path file = projectDir.resolve("packages.yml");
    if (!Files.isRegularFile(file)) file = projectDir.resolve("dependencies.yml");
    if (!Files.isRegularFile(file)) return List.of();
    String name = file.getFileName().toString();
    Object parsed = Yaml.load(file, name);
    if (parsed == null) return List.of();
    if (!(parsed instanceof Map<?, ?> m)) throw WeirException.project(name, 1, name + " must be a mapping with a 'packages:' list");
    Object list = m.get("packages");
    if (list == null) return List.of();
    if (!(list instanceof List<?> l)) throw WeirException.project(name, 1, "'packages' in " + name + " must be a list");
    List<Spec> out = new ArrayList<>();
    for (Object o : l) {
      if (!(o instanceof Map<?, ?> e)) throw WeirException.project(name, 1, "Each entry of 'packages' in " + name
          + " must be a mapping such as '- local: ../my_package' or '- package: dbt-labs/dbt_utils'");
      Map<String, Object> raw = new LinkedHashMap<>((Map<String, Object>) e);
      String kind = null;
      for (String k : List.of("local", "git", "tarball", "package", "private")) if (raw.containsKey(k)) { kind = k; break; }
      if (kind == null) throw WeirException.project(name, 1, "Package entry " + raw + " in " + name
          + " names no source: use local:, git:, tarball: or package:");
      out.add(new Spec(kind, String.valueOf(raw.get(kind)), raw));
    }
    return out;
  }

  public static Path installDir(Path projectDir, ProjectSettings settings) {
    return projectDir.resolve(settings.packagesInstallPath()).normalize();
  }

  /**
   * The folder a spec installs into: a local package's project name; for git the repository name,
   * for the hub the package name, for a tarball the {@code name:} given (dbt's rules).
   */
  public static String folderName(Path projectDir, Spec s) {
    switch (s.kind()) {
      case "local" -> {
        Path src = projectDir.resolve(s.source()).normalize();
        return localProjectName(src, s);
      }
      case "package" -> {
        String p = s.source();
        return p.substring(p.lastIndexOf('/') + 1);
      }
      case "tarball" -> {
        Object n = s.raw().get("name");
        if (n == null) throw WeirException.project("packages.yml", 0, "Tarball package " + s.source() + " needs a 'name:'");
        return String.valueOf(n);
      }
      default -> {
        String p = s.source().replaceAll("/+$", "");
        p = p.substring(Math.max(p.lastIndexOf('/'), p.lastIndexOf(':')) + 1);
        return p.endsWith(".git") ? p.substring(0, p.length() - 4) : p;
      }
    }
  }

  private static String localProjectName(Path src, Spec s) {
    Path yml = src.resolve("dbt_project.yml");
    if (!Files.isRegularFile(yml)) {
      throw WeirException.project("packages.yml", 0, "Local package '" + s.source() + "' has no dbt_project.yml (looked in " + src + ")");
    }
    Object parsed = Yaml.load(yml, s.source() + "/dbt_project.yml");
    Object name = parsed instanceof Map<?, ?> m ? m.get("name") : null;
    if (name == null) throw WeirException.project(s.source() + "/dbt_project.yml", 1, "Required key 'name' is missing");
    return String.valueOf(name);
  }

  /**
   * The installed packages' folders, checked against packages.yml: a declared package that is not
   * installed is an error telling to run {@code weir deps}. Folders under the install path that
   * packages.yml does not list are loaded too (dbt loads what is installed).
   */
  public static List<Path> installed(Path projectDir, ProjectSettings settings) {
    Path dir = installDir(projectDir, settings);
    List<Spec> specs = specs(projectDir);
    for (Spec s : specs) {
      String folder = s.kind().equals("local") && !Files.isRegularFile(projectDir.resolve(s.source()).resolve("dbt_project.yml"))
          ? null : folderName(projectDir, s);
      if (folder == null || !Files.isRegularFile(dir.resolve(folder).resolve("dbt_project.yml"))) {
        throw WeirException.project("packages.yml", 0, "Package '" + s.source() + "' is listed in packages.yml but not installed in "
            + settings.packagesInstallPath() + "/" + (folder == null ? "" : folder) + ". Run 'weir deps' to install the project's packages.");
      }
    }
    if (!Files.isDirectory(dir)) return List.of();
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) if (Files.isRegularFile(p.resolve("dbt_project.yml"))) out.add(p);
    } catch (IOException e) {
      throw WeirException.project(settings.packagesInstallPath(), 0, "Cannot list installed packages: " + e.getMessage());
    }
    return out;
  }

  // ------------------------------------------------------------------ weir deps

  /** Installs every spec into the install path and writes package-lock.yml; returns the lock's entries. */
  public static List<Map<String, Object>> install(Path projectDir, ProjectSettings settings, Consumer<String> info) throws IOException {
    return install(projectDir, settings, info, false);
  }

  /**
   * {@code weir deps}: when package-lock.yml exists and was written for the current packages.yml
   * (same sha1_hash), installs exactly what it pins; otherwise (or with {@code upgrade}, dbt's
   * {@code --upgrade}) resolves packages.yml again — with the installed packages' own packages.yml,
   * transitively (a package's local paths are relative to that package) — and writes the lock.
   * Every package lands flat in the install path, each once (the first spec of a name wins).
   */
  public static List<Map<String, Object>> install(Path projectDir, ProjectSettings settings, Consumer<String> info, boolean upgrade)
      throws IOException {
    List<Spec> specs = specs(projectDir);
    Path dir = installDir(projectDir, settings);
    List<Map<String, Object>> lock = new ArrayList<>();
    if (specs.isEmpty()) {
      info.accept("Warning: No packages were found in packages.yml");
      return lock;
    }
    Files.createDirectories(dir);
    Path root = projectDir.toAbsolutePath().normalize();
    List<Spec> pinned = upgrade ? null : pinned(root, specHash(specs), info);
    if (pinned != null) {
      info.accept("Installing the " + pinned.size() + " package" + (pinned.size() == 1 ? "" : "s")
          + " pinned in package-lock.yml (run 'weir deps --upgrade' to resolve packages.yml again)");
      for (Spec s : pinned) lock.add(installOne(root, root, settings, dir, s, info).entry());
      return lock;
    }
    if (upgrade) info.accept("Resolving packages.yml again (--upgrade): package-lock.yml will be rewritten");
    java.util.ArrayDeque<Map.Entry<Path, Spec>> queue = new java.util.ArrayDeque<>();
    for (Spec s : specs) queue.add(Map.entry(root, s));
    java.util.Set<String> done = new java.util.HashSet<>();
    while (!queue.isEmpty()) {
      Map.Entry<Path, Spec> next = queue.poll();
      Path base = next.getKey();
      Spec s = next.getValue();
      String folder = folderName(base, s);
      if (!done.add(folder)) continue;
      Installed inst = installOne(root, base, settings, dir, s, info);
      lock.add(inst.entry());
      for (Spec child : specs(inst.home())) queue.add(Map.entry(inst.home(), child));
    }
    writeLock(projectDir, specs, lock);
    return lock;
  }

  /** One installed package: its lock entry and the folder its own relative paths start from. */
  private record Installed(Map<String, Object> entry, Path home) {}

  private static Installed installOne(Path root, Path base, ProjectSettings settings, Path dir, Spec s, Consumer<String> info)
      throws IOException {
    String folder = folderName(base, s);
    Path to = dir.resolve(folder);
    Path home = to;
    Map<String, Object> entry = new LinkedHashMap<>();
    switch (s.kind()) {
      case "local" -> {
        Path src = base.resolve(s.source()).toAbsolutePath().normalize();
        deleteRecursively(to);
        try {
          Files.createSymbolicLink(to, src);
        } catch (IOException | UnsupportedOperationException e) {
          copyRecursively(src, to); // no symlinks here (e.g. some Windows setups): copy, as dbt falls back to
        }
        home = src;
        // The lock names every local package from the root project, so that it installs from there.
        entry.put("local", base.equals(root) ? s.source() : root.relativize(src).toString().replace('\\', '/'));
      }
      case "git", "private" -> {
        Object rev = s.raw().get("revision");
        gitClone(s, rev == null ? null : String.valueOf(rev), to);
        entry.put(s.kind(), s.source());
        entry.put("revision", rev == null ? gitHead(to) : String.valueOf(rev));
        if (s.raw().get("subdirectory") != null) entry.put("subdirectory", s.raw().get("subdirectory"));
      }
      case "tarball" -> {
        fetchTarball(s, URI.create(s.source()), to);
        entry.put("tarball", s.source());
      }
      default -> {
        String version = hubInstall(s, to);
        entry.put("package", s.source());
        entry.put("version", version);
      }
    }
    entry.put("name", folder);
    info.accept("Installed from " + s.describe() + " into " + settings.packagesInstallPath() + "/" + folder);
    return new Installed(entry, home);
  }

  /** The specs package-lock.yml pins, or null when there is no lock or it was written for another packages.yml. */
  @SuppressWarnings("unchecked")
  private static List<Spec> pinned(Path projectDir, String hash, Consumer<String> info) {
    Path file = projectDir.resolve("package-lock.yml");
    if (!Files.isRegularFile(file)) return null;
    Object parsed = Yaml.load(file, "package-lock.yml");
    if (!(parsed instanceof Map<?, ?> m) || !(m.get("packages") instanceof List<?> l)) return null;
    if (!hash.equals(String.valueOf(m.get("sha1_hash")))) {
      info.accept("package-lock.yml was written for another packages.yml: resolving packages.yml again");
      return null;
    }
    List<Spec> out = new ArrayList<>();
    for (Object o : l) {
      if (!(o instanceof Map<?, ?> e)) return null;
      Map<String, Object> raw = new LinkedHashMap<>((Map<String, Object>) e);
      String kind = null;
      for (String k : List.of("local", "git", "tarball", "package", "private")) if (raw.containsKey(k)) { kind = k; break; }
      if (kind == null) return null;
      out.add(new Spec(kind, String.valueOf(raw.get(kind)), raw));
    }
    return out;
  }

  /** package-lock.yml as dbt writes it: the resolved packages and the sha1 of the declared specs. */
  static void writeLock(Path projectDir, List<Spec> specs, List<Map<String, Object>> lock) throws IOException {
    StringBuilder sb = new StringBuilder("packages:\n");
    for (Map<String, Object> e : lock) {
      String dash = "  - ";
      for (Map.Entry<String, Object> kv : e.entrySet()) {
        sb.append(dash).append(kv.getKey()).append(": ").append(yamlScalar(kv.getValue())).append('\n');
        dash = "    ";
      }
    }
    sb.append("sha1_hash: ").append(specHash(specs)).append('\n');
    Files.writeString(projectDir.resolve("package-lock.yml"), sb.toString());
  }

  /** sha1 of the declared specs (each entry's keys sorted), so a change to packages.yml shows. */
  public static String specHash(List<Spec> specs) {
    StringBuilder sb = new StringBuilder("[");
    for (Spec s : specs) {
      sb.append('{');
      s.raw().entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(kv -> sb.append('"').append(kv.getKey()).append("\": \"").append(kv.getValue()).append("\", "));
      sb.append('}');
    }
    sb.append(']');
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String yamlScalar(Object v) {
    String s = String.valueOf(v);
    return s.matches("[A-Za-z0-9_./@:-]+") && !s.matches("[0-9.]+") ? s : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static WeirException unreachable(Spec s, String host, String detail) {
    return WeirException.runtime("Cannot install package '" + s.source() + "': the host " + host + " is unreachable from this "
        + "machine (" + detail.strip() + "). Install it where the network allows (or vendor it and use '- local: <path>').", null);
  }

  private static void gitClone(Spec s, String revision, Path to) throws IOException {
    String host = hostOf(s.source());
    deleteRecursively(to);
    // a branch or tag: a shallow clone of it; a full commit hash: a whole clone, then that commit checked out
    boolean commit = revision != null && revision.matches("[0-9a-f]{40}");
    List<String> cmd = new ArrayList<>(List.of("git", "clone", "--quiet"));
    if (commit) cmd.add("--no-checkout");
    else cmd.addAll(List.of("--depth", "1"));
    if (revision != null && !commit) cmd.addAll(List.of("--branch", revision));
    cmd.add(s.source());
    cmd.add(to.toString());
    runGit(s, host, cmd, to);
    if (commit) runGit(s, host, List.of("git", "-C", to.toString(), "checkout", "--quiet", revision), to);
    if (s.raw().get("subdirectory") != null) {
      Path sub = to.resolveSibling(to.getFileName() + ".clone");
      Files.move(to, sub);
      Files.move(sub.resolve(String.valueOf(s.raw().get("subdirectory"))), to);
      deleteRecursively(sub);
    }
  }

  /** Runs one git command for installing {@code s}; a failure removes {@code to} and names the package and host. */
  private static void runGit(Spec s, String host, List<String> cmd, Path to) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw WeirException.runtime("Cannot install package '" + s.source() + "': git is not installed (" + e.getMessage() + ")", e);
    }
    try {
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw unreachable(s, host, "git clone timed out");
      }
      if (p.exitValue() != 0) {
        deleteRecursively(to);
        throw unreachable(s, host, "git " + cmd.get(cmd.indexOf("git") + (cmd.contains("-C") ? 3 : 1)) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw WeirException.runtime("Interrupted while cloning " + s.source(), e);
    }
  }

  private static String gitHead(Path repo) {
    try {
      Process p = new ProcessBuilder("git", "-C", repo.toString(), "rev-parse", "HEAD").start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.waitFor() == 0 ? out : "HEAD";
    } catch (IOException | InterruptedException e) {
      return "HEAD";
    }
  }

  private static String hostOf(String url) {
    try {
      String h = URI.create(url).getHost();
      if (h != null) return h;
    } catch (IllegalArgumentException ignored) {
      // scp-like git@host:path
    }
    int at = url.indexOf('@');
    int colon = url.indexOf(':', at + 1);
    return colon > at ? url.substring(at + 1, colon) : url;
  }

  /** Made on first download only: building an HttpClient costs a fifth of a second, on every load otherwise. */
  private static final class Http {
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  private static byte[] get(Spec s, URI uri) {
    try {
      HttpResponse<byte[]> r = Http.CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() / 100 != 2) {
        throw WeirException.runtime("Cannot install package '" + s.source() + "': " + uri + " answered HTTP " + r.statusCode(), null);
      }
      return r.body();
    } catch (IOException e) {
      throw unreachable(s, uri.getHost(), e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw WeirException.runtime("Interrupted while downloading " + uri, e);
    }
  }

  /** dbt Hub: the package's index names each version's tarball; an exact {@code version:} or the newest. */
  @SuppressWarnings("unchecked")
  private static String hubInstall(Spec s, Path to) throws IOException {
    byte[] index = get(s, URI.create("https://hub.getdbt.com/api/v1/" + s.source() + ".json"));
    Object parsed = Yaml.parse(new String(index, StandardCharsets.UTF_8), "hub index of " + s.source());
    Map<String, Object> versions = parsed instanceof Map<?, ?> m && m.get("versions") instanceof Map<?, ?> v
        ? (Map<String, Object>) v : Map.of();
    Object wanted = s.raw().get("version");
    String version = resolveVersion(wanted, versions.keySet(), Boolean.TRUE.equals(s.raw().get("install-prerelease")));
    if (version == null) throw WeirException.runtime("Package '" + s.source() + "' has no version on dbt Hub matching " + wanted, null);
    Object downloads = versions.get(version) instanceof Map<?, ?> vm ? vm.get("downloads") : null;
    Object tarball = downloads instanceof Map<?, ?> d ? d.get("tarball") : null;
    if (tarball == null) throw WeirException.runtime("dbt Hub lists no tarball for " + s.source() + " " + version, null);
    fetchTarball(s, URI.create(String.valueOf(tarball)), to);
    return version;
  }

  private static final java.util.regex.Pattern SEMVER = java.util.regex.Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)(?:-?([0-9A-Za-z.-]+))?");
  private static final java.util.regex.Pattern CONSTRAINT = java.util.regex.Pattern.compile("(>=|<=|>|<|==|=)?\\s*(\\S+)");

  /**
   * The newest of {@code available} that meets dbt's version spec for hub packages: none (the
   * newest), an exact version, a comparison ({@code ">=1.0.0"}, {@code "<2.0.0"}, {@code "=1.2.3"})
   * or a list of them, all of which must hold. Prereleases ({@code 1.2.0-b1}) count only when
   * asked for ({@code install-prerelease: true}) or pinned exactly. Null when none matches.
   */
  public static String resolveVersion(Object wanted, java.util.Collection<String> available, boolean prerelease) {
    List<String> constraints = new ArrayList<>();
    if (wanted instanceof List<?> l) for (Object o : l) constraints.add(String.valueOf(o).strip());
    else if (wanted != null) constraints.add(String.valueOf(wanted).strip());
    if (constraints.size() == 1 && available.contains(constraints.get(0))) return constraints.get(0);
    String best = null;
    for (String v : available) {
      java.util.regex.Matcher vm = SEMVER.matcher(v);
      if (!vm.matches() || (vm.group(4) != null && !prerelease)) continue;
      boolean ok = true;
      for (String c : constraints) {
        java.util.regex.Matcher cm = CONSTRAINT.matcher(c);
        if (!cm.matches() || !SEMVER.matcher(cm.group(2)).matches()) {
          throw WeirException.project("packages.yml", 0, "Version spec '" + c + "' is not understood: write a version (1.2.3) "
              + "or a comparison (>=1.0.0, <2.0.0), or a list of them");
        }
        int cmp = compareVersions(v, cm.group(2));
        String op = cm.group(1) == null ? "=" : cm.group(1);
        ok &= switch (op) {
          case ">=" -> cmp >= 0;
          case "<=" -> cmp <= 0;
          case ">" -> cmp > 0;
          case "<" -> cmp < 0;
          default -> cmp == 0;
        };
      }
      if (ok && (best == null || compareVersions(v, best) > 0)) best = v;
    }
    return best;
  }

  /** Semantic versions: major, minor, patch, then a release above its prereleases (compared as text). */
  static int compareVersions(String a, String b) {
    java.util.regex.Matcher x = SEMVER.matcher(a);
    java.util.regex.Matcher y = SEMVER.matcher(b);
    if (!x.matches() || !y.matches()) return a.compareTo(b);
    for (int i = 1; i <= 3; i++) {
      int c = Long.compare(Long.parseLong(x.group(i)), Long.parseLong(y.group(i)));
      if (c != 0) return c;
    }
    if (x.group(4) == null || y.group(4) == null) return x.group(4) == null ? (y.group(4) == null ? 0 : 1) : -1;
    return x.group(4).compareTo(y.group(4));
  }

  /** Downloads a .tar.gz and unpacks its single top folder into {@code to} (with the system's tar). */
  private static void fetchTarball(Spec s, URI uri, Path to) throws IOException {
    byte[] data = get(s, uri);
    Path tmp = Files.createTempDirectory("weir-deps");
    try {
      Path archive = tmp.resolve("package.tar.gz");
      Files.write(archive, data);
      Path out = Files.createDirectories(tmp.resolve("out"));
      Process p = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", out.toString()).redirectErrorStream(true).start();
      String msg = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) throw WeirException.runtime("Cannot unpack " + uri + ": " + msg.strip(), null);
      Path top = out;
      try (Stream<Path> l = Files.list(out)) {
        List<Path> entries = l.toList();
        if (entries.size() == 1 && Files.isDirectory(entries.get(0))) top = entries.get(0);
      }
      deleteRecursively(to);
      copyRecursively(top, to);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw WeirException.runtime("Interrupted while unpacking " + uri, e);
    } finally {
      deleteRecursively(tmp);
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (Files.isSymbolicLink(p)) {
      Files.delete(p);
      return;
    }
    if (!Files.exists(p)) return;
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
    }
  }

  private static void copyRecursively(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path f : s.toList()) {
        Path rel = from.relativize(f);
        if (rel.toString().startsWith("target") || rel.toString().startsWith("dbt_packages") || rel.toString().startsWith("logs")) continue;
        Path t = to.resolve(rel.toString());
        if (Files.isDirectory(f)) Files.createDirectories(t);
        else Files.copy(f, t);
      }
    }
  }
}
