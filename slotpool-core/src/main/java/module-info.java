module dev.slotpool.index {
  exports dev.slotpool.index;
}
