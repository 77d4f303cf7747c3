"""Offline synthesis: run a Pulumi program in-process under mocks and record what it would register."""
