"""Built-in matching plugins: strategies (greedy, stable, optimizer, peer) and scorers."""
