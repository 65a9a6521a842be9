/** Weir's core: project model, rendering, graph and selection, execution, engine SPI, artifacts. */
package dev.weir.core;
