"""finsent's sentiment model: data, network, training, evaluation and prediction."""
