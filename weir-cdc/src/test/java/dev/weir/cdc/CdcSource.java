package dev.weir.cdc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** A real PostgreSQL 17 with logical replication (zonky embedded), the source of the CDC tests. */
public final class CdcSource implements AutoCloseable {
  public final EmbeddedPostgres pg;

  private CdcSource(EmbeddedPostgres pg) { this.pg = pg; }

  public static CdcSource start(Path dir) {
    try {
      Path work = Path.of("target", "embedded-pg").toAbsolutePath();
      Files.createDirectories(work);
      return new CdcSource(EmbeddedPostgres.builder()
          .setOverrideWorkingDirectory(work.toFile())
          .setDataDirectory(dir.resolve("pgdata"))
          .setCleanDataDirectory(true)
          .setServerConfig("wal_level", "logical")
          .setServerConfig("max_replication_slots", "10")
          .setServerConfig("max_wal_senders", "10")
          .start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() { return pg.getPort(); }

  public Connection connect() throws SQLException {
    return pg.getPostgresDatabase().getConnection();
  }

  public void sql(String... statements) throws SQLException {
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String s : statements) st.execute(s);
    }
  }

  /** Each row of {@code sql} as its columns joined by '|'. */
  public List<String> rows(String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  /** Drops the slot and publication a source created (teardown: a slot left behind holds WAL forever). */
  public void dropSlot(String slot, String publication) throws SQLException {
    sql("select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '" + slot + "' and not active",
        "drop publication if exists " + publication);
  }

  @Override
  public void close() throws IOException {
    pg.close();
  }
}
