"""Readers and writers: files and objects to the network IR and domains, exactly."""
