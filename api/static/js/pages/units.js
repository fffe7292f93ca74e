// Units page: duty toggles.
import {api} from '../lib/api.js';

for (const b of document.querySelectorAll('button.toggle')) {
  b.addEventListener('click', async () => {
    await api('POST', `/v1/operator/units/${b.dataset.unit}/duty`,
      {on_duty: b.dataset.on === 'true'});
    location.reload();
  });
}
