package dev.weir.ingest;

import dev.weir.core.WeirException;
import dev.weir.core.engine.Session;
import java.sql.Connection;

/**
 * The JDBC connection under a warehouse session. Both engines' sessions expose it as a public
 * {@code connection()} method; weir-ingest does not depend on the engine modules, so it is found
 * by reflection. Used for the Postgres COPY protocol (file loads and exports).
 */
final class WarehouseJdbc {
  private WarehouseJdbc() {}

  static Connection connection(Session s) {
    try {
      return (Connection) s.getClass().getMethod("connection").invoke(s);
    } catch (ReflectiveOperationException | ClassCastException e) {
      throw WeirException.runtime("The " + s.engine().type() + " session gives no JDBC connection: " + e, e);
    }
  }
}
