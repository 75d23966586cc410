"""Day planning: the pure core (problem, travel times, schedules, the OR-Tools solver and a
greedy baseline) imports nothing from Django; ``build`` turns the database into a problem."""
