"""Code generators, one per target, each reading the lowered form (`compiler.ir`) and overriding only what differs."""
