"""gridmap: proactive discovery of households in difficulty, grid by grid.

The domain package. It never imports Streamlit: pages call it, it returns
data frames and plain values.
"""

__version__ = "0.1.0"
