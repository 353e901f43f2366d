"""The enumerator: networks as stages, refined cell by cell into an exact CPWL object."""
