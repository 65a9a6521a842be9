/** Weir's command line (picocli): one class per command, dbt's names and flags. */
package dev.weir.cli;
