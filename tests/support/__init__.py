"""Helpers shared by the test modules: loopback servers, fixtures, data builders."""
