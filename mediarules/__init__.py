"""mediarules."""
