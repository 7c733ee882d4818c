"""spmkb.coaching."""
