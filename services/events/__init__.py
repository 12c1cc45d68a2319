"""Events: types, creating and editing, the pipeline's stages and moves, preparation, registrations and
the waiting list, check-in, materials, event e-mail and its sweeps, certificates and their issuing, imports."""
