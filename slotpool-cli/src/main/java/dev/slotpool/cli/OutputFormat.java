package dev.slotpool.cli;

/** How simulate and tune print their results ({@code --format}). */
enum OutputFormat {
  /** An aligned table for people, with the lines that explain it. */
  table,
  /** CSV with two provenance comment lines. */
  csv,
  /** One JSON object: provenance and results. */
  json
}
