// This file is part of Moodle - https://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <https://www.gnu.org/licenses/>.

/**
 * Keeps the autograding state box of an assignment or quiz attempt current, without a reload.
 *
 * Asks local_bridge_get_grading_state until the state is final (graded and in the gradebook,
 * or could not be graded), as often as the answer's `pollafter` says; when asking fails it
 * waits longer each time, up to a minute.
 *
 * @module     local_bridge/grading_state
 * @copyright  2026 Moodle Bridge contributors
 * @license    https://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

import Ajax from 'core/ajax';

/** Bootstrap alert class of each state. */
const ALERTS = {
    graded: 'alert-success',
    failed: 'alert-warning',
    unavailable: 'alert-secondary',
    notautograded: 'alert-secondary',
};
/** Longest wait between two questions, in seconds. */
const MAX_WAIT = 60;

/**
 * Show an answer in the box.
 *
 * @param {HTMLElement} box the state box
 * @param {Object} answer local_bridge_get_grading_state's answer
 */
const show = (box, answer) => {
    box.textContent = answer.message;
    box.dataset.state = answer.state;
    box.className = `local-bridge-grading-state alert ${ALERTS[answer.state] || 'alert-info'}`;
};

/**
 * Start keeping one box current.
 *
 * @param {String} elementid id of the box the page printed
 * @param {Number} cmid course module id
 * @param {Number} userid whose submission (0 for the current user)
 * @param {Number} attempt attempt number, -1 for the latest
 */
export const init = (elementid, cmid, userid, attempt) => {
    const box = document.getElementById(elementid);
    if (!box) {
        return;
    }
    // Printed before the footer; shown at the top of the page's main region.
    const main = document.querySelector('[role="main"]');
    if (main && !main.contains(box)) {
        main.prepend(box);
    }
    let failures = 0;
    const ask = () => {
        Ajax.call([{
            methodname: 'local_bridge_get_grading_state',
            args: {cmid: cmid, userid: userid, attempt: attempt},
        }])[0].then((answer) => {
            failures = 0;
            show(box, answer);
            if (!answer.final) {
                window.setTimeout(ask, Math.max(1, answer.pollafter) * 1000);
            }
            return answer;
        }).catch(() => {
            failures += 1;
            window.setTimeout(ask, Math.min(MAX_WAIT, 5 * 2 ** failures) * 1000);
        });
    };
    ask();
};
