import cProfile
import pstats
import time

from bench import harness

harness.setup_django()
from bench.publish_cost import new_station, timed_save  # noqa: E402
from stations.models import Program  # noqa: E402

w = Program.objects.create(station=new_station(1), title="M")
for n in range(100):
    timed_save(w, f"x{n}")
t0 = time.process_time()
for n in range(500):
    timed_save(w, f"y{n}")
print("cpu ms/save (1 webhook, task waiting)", (time.process_time() - t0) / 500 * 1000)
pr = cProfile.Profile(time.process_time)
pr.enable()
for n in range(500):
    timed_save(w, f"q{n}")
pr.disable()
st = pstats.Stats(pr)
st.sort_stats("cumulative").print_stats(45)
